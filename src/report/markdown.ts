/**
 * `--markdown`: a pull-request comment. The comparison table, the recommendation with its
 * reasons, rejected strategies, and each strategy's details folded in <details>.
 */

import type { Comparison } from '../result.js';
import type { SuiteOutcome, SuiteRunResult } from '../suite/result.js';
import { comparisonTableLines } from './comparison-table.js';
import { escapeHtml } from './escape.js';
import { describeMode, engineMeta, formatMs, rejectionReason, verdictOf, waitCauses } from './format.js';
import { sandboxNotes } from './sandbox-notes.js';
import { renderStrategyResult } from './table.js';

/** Inline code that survives backticks in the text. */
function code(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((s) => s.length));
  const fence = '`'.repeat(longest + 1);
  return longest > 0 ? `${fence} ${text} ${fence}` : `${fence}${text}${fence}`;
}

/** A fenced block whose fence is longer than any backtick run inside it. */
function fenced(text: string, lang = 'text'): string {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((s) => s.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${lang}\n${text}\n${fence}`;
}

export function renderComparisonMarkdown(c: Comparison, opts: { title?: string } = {}): string {
  const out: string[] = [];
  out.push(`### ${escapeHtml(opts.title ?? 'Migration strategy comparison')}`);
  out.push('');
  out.push(`Baseline ${code(c.baseline)} · backend ${c.backend}${engineMeta(c)} · ${describeMode(c)}`);
  out.push('');
  out.push(...comparisonTableLines(c));
  out.push('');
  if (c.recommendation) {
    out.push(`**Recommendation: ${code(c.recommendation.name)}**`);
    out.push('');
    for (const reason of c.recommendation.reasons) out.push(`- ${escapeHtml(reason)}`);
  } else {
    out.push('**Recommendation: none** — no strategy passed every check.');
  }
  const waited = c.results.flatMap((r) =>
    waitCauses(r).map((text) => `${code(r.name)}: ${escapeHtml(text)}`),
  );
  if (waited.length > 0) {
    out.push('');
    out.push('**Why the application waited**');
    out.push('');
    for (const line of waited) out.push(`- ${line}`);
  }
  const rejected = c.results.filter((r) => verdictOf(c, r) === 'rejected');
  if (rejected.length > 0) {
    out.push('');
    out.push('**Rejected**');
    out.push('');
    for (const r of rejected)
      out.push(`- ❌ ${code(r.name)}: ${escapeHtml(rejectionReason(c, r) ?? 'rejected')}`);
  }
  const notes = sandboxNotes(c.results);
  if (notes.length > 0) {
    out.push('', '**Outside the branch**', '');
    for (const n of notes) out.push(`- ⚠️ ${escapeHtml(n)}`);
  }
  for (const r of c.results) {
    out.push('');
    out.push('<details>');
    out.push(`<summary>${escapeHtml(r.name)} — ${r.status}, ${formatMs(r.duration_ms)}</summary>`);
    out.push('');
    out.push(fenced(renderStrategyResult(r)));
    out.push('');
    out.push('</details>');
  }
  return out.join('\n');
}

function renderOutcome(s: SuiteOutcome): string {
  const out: string[] = [];
  out.push(
    renderComparisonMarkdown(s.comparison, {
      title: `Suite ${s.name} (${s.pattern}): ${s.passed ? 'passed' : 'FAILED'}`,
    }),
  );
  if (s.checks.length > 0) {
    out.push('');
    out.push('**Checks**');
    out.push('');
    for (const ch of s.checks) {
      const who = ch.branch ? `${code(ch.branch)} ` : '';
      out.push(`- ${ch.passed ? '✅' : '❌'} ${who}${escapeHtml(ch.check)}: ${escapeHtml(ch.detail)}`);
    }
  }
  return out.join('\n');
}

export function renderSuiteMarkdown(run: SuiteRunResult): string {
  const out: string[] = [];
  out.push(`## vers-db: ${escapeHtml(run.file)} — ${run.passed ? 'passed' : 'FAILED'}`);
  out.push('');
  out.push(
    `${run.suites.length} suite(s) in ${formatMs(run.duration_ms)}, strategies ${run.mode === 'parallel' ? 'run in parallel' : 'run serially, one at a time'}.`,
  );
  for (const s of run.suites) {
    out.push('');
    out.push(renderOutcome(s));
  }
  return `${out.join('\n')}\n`;
}
