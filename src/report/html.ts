/**
 * `--report FILE.html`: one self-contained page (inline CSS and SVG, no scripts, no external
 * resources — a CSP meta tag enforces it) with, per suite, the comparison table and the
 * recommendation, then per strategy its lock timeline with the probes' waits and its schema
 * difference against the checkpoint.
 */
import type { Comparison, StrategyResult } from '../result.js';
import type { SuiteCheck, SuiteRunResult } from '../suite/result.js';
import { deployHtml } from './deploy.js';
import { escapeHtml as h } from './escape.js';
import {
  blockedCell,
  describeBloat,
  describeLock,
  describeMode,
  describeProbe,
  describeRewrites,
  engineMeta,
  formatBytes,
  formatMs,
  integrityProblems,
  longestLock,
  rejectionReason,
  verdictOf,
} from './format.js';
import { sandboxNotes } from './sandbox-notes.js';
import { renderLegend, renderLockTimeline } from './timeline.js';

export interface HtmlReportSuite {
  name: string;
  pattern?: string;
  comparison: Comparison;
  checks?: readonly SuiteCheck[];
  passed?: boolean;
}

export interface HtmlReportInput {
  title?: string;
  subtitle?: string;
  suites: readonly HtmlReportSuite[];
  /** ISO time shown in the header; defaults to now. */
  generatedAt?: string;
}

const CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", sans-serif; margin: 24px; color: #1d1f23; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 19px; margin: 28px 0 8px; border-bottom: 2px solid #dde1e6; padding-bottom: 4px; }
h3 { font-size: 16px; margin: 18px 0 6px; } h4 { font-size: 14px; margin: 12px 0 4px; color: #3b4048; }
.meta { color: #5c636e; margin: 0 0 8px; }
table { border-collapse: collapse; margin: 6px 0 10px; }
th, td { border: 1px solid #d3d8de; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f0f2f5; } td.num { text-align: right; white-space: nowrap; }
tr.recommended td { background: #eaf7ee; } tr.rejected td { background: #fcecee; }
.ok { color: #17803d; } .bad { color: #b4232f; font-weight: 600; }
.badge { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px; color: #fff; vertical-align: middle; }
.badge.passed { background: #17803d; } .badge.failed { background: #b4232f; }
section.strategy { border: 1px solid #dde1e6; border-radius: 6px; padding: 4px 14px 10px; margin: 12px 0; }
.legend { list-style: none; padding: 0; margin: 4px 0; display: flex; flex-wrap: wrap; gap: 12px; font-size: 12px; }
.swatch { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -2px; border-radius: 2px; }
svg.timeline { max-width: 100%; height: auto; border: 1px solid #e3e6ea; background: #fff; }
svg.timeline text { fill: #1d1f23; font-family: inherit; }
ul.schema-diff { font-family: ui-monospace, "Liberation Mono", monospace; font-size: 12.5px; list-style: none; padding-left: 8px; }
.add { color: #17803d; } .del { color: #b4232f; } .chg { color: #8a5a00; }
pre { background: #f6f7f9; padding: 8px; overflow-x: auto; font-size: 12.5px; }
.empty { color: #5c636e; font-style: italic; }
`;

function changeClass(line: string): string {
  if (line.startsWith('+')) return 'add';
  if (line.startsWith('-')) return 'del';
  return 'chg';
}

function anchor(...parts: string[]): string {
  return parts.join('-').replace(/[^A-Za-z0-9_-]+/g, '_');
}

function comparisonTable(c: Comparison): string {
  const rows = c.results.map((r) => {
    const verdict = verdictOf(c, r);
    const rec = verdict === 'recommended' ? '✓ recommended' : verdict === 'acceptable' ? '✓' : '✗';
    const integrity = r.integrity.ok
      ? '<span class="ok">ok</span>'
      : `<span class="bad">${h(integrityProblems(r).join('; '))}</span>`;
    const name = r.status === 'failed' ? `${h(r.name)} <span class="badge failed">failed</span>` : h(r.name);
    return (
      `<tr class="${verdict}"><td>${name}</td><td class="num">${formatMs(r.duration_ms)}</td>` +
      `<td class="num">${blockedCell(r.blocking.reads)}</td><td class="num">${blockedCell(r.blocking.writes)}</td>` +
      `<td>${h(describeLock(longestLock(r)))}</td><td>${h(describeRewrites(r))}</td><td>${h(describeBloat(r))}</td>` +
      `<td>${integrity}</td><td>${rec}</td></tr>`
    );
  });
  return (
    '<table class="comparison"><thead><tr><th>Strategy</th><th>Time</th><th>Reads blocked</th><th>Writes blocked</th>' +
    '<th>Longest blocking lock</th><th>Rewrites</th><th>Bloat (dead / %)</th><th>Integrity</th><th>Rec</th></tr></thead>' +
    `<tbody>${rows.join('')}</tbody></table>`
  );
}

function recommendation(c: Comparison): string {
  const out: string[] = [];
  if (c.recommendation) {
    out.push(`<p class="recommendation"><strong>Recommendation: ${h(c.recommendation.name)}</strong></p>`);
    out.push(`<ul class="reasons">${c.recommendation.reasons.map((r) => `<li>${h(r)}</li>`).join('')}</ul>`);
  } else {
    out.push(
      '<p class="recommendation"><strong>Recommendation: none</strong> — no strategy passed every check.</p>',
    );
  }
  const rejected = c.results.filter((r) => verdictOf(c, r) === 'rejected');
  if (rejected.length > 0) {
    out.push(
      `<p><strong>Rejected</strong></p><ul class="rejected">${rejected
        .map(
          (r) =>
            `<li><span class="bad">✗</span> ${h(r.name)}: ${h(rejectionReason(c, r) ?? 'rejected')}</li>`,
        )
        .join('')}</ul>`,
    );
  }
  return out.join('\n');
}

function checksList(checks: readonly SuiteCheck[]): string {
  if (checks.length === 0) return '';
  const items = checks.map(
    (ch) =>
      `<li><span class="${ch.passed ? 'ok' : 'bad'}">${ch.passed ? '✓' : '✗'}</span> ${
        ch.branch ? `${h(ch.branch)}: ` : ''
      }${h(ch.check)} — ${h(ch.detail)}</li>`,
  );
  return `<section class="checks"><h3>Checks</h3><ul>${items.join('')}</ul></section>`;
}

function schemaDiff(r: StrategyResult, checkpoint: string): string {
  const head = `<h4>Schema difference against checkpoint ${h(checkpoint)}</h4>`;
  if (r.schema_changes === undefined)
    return `<div class="schema">${head}<p class="empty">not recorded</p></div>`;
  if (r.schema_changes.length === 0)
    return `<div class="schema">${head}<p class="empty">no catalog differences</p></div>`;
  const items = r.schema_changes.map((line) => `<li class="${changeClass(line)}">${h(line)}</li>`).join('');
  return `<div class="schema">${head}<ul class="schema-diff">${items}</ul></div>`;
}

function statementsTable(r: StrategyResult): string {
  if (r.statements.length === 0) return '';
  const rows = r.statements
    .map(
      (s) =>
        `<tr><td class="num">${s.index}</td><td class="num">${s.line}</td><td class="num">${
          s.start_ms === undefined ? '' : formatMs(s.start_ms)
        }</td><td class="num">${formatMs(s.duration_ms)}</td><td><pre>${h(s.sql)}</pre>${
          s.error ? `<div class="bad">${h(s.sqlstate ? `${s.sqlstate}: ${s.error}` : s.error)}</div>` : ''
        }</td></tr>`,
    )
    .join('');
  return (
    `<details class="statements"><summary>Statements (${r.statements.length})</summary>` +
    '<table><thead><tr><th>#</th><th>Line</th><th>Start</th><th>Time</th><th>SQL</th></tr></thead>' +
    `<tbody>${rows}</tbody></table></details>`
  );
}

function strategySection(suite: string, c: Comparison, r: StrategyResult): string {
  const out: string[] = [];
  out.push(
    `<section class="strategy" id="${anchor('strategy', suite, r.name)}" data-strategy="${h(r.name)}">`,
  );
  out.push(`<h3>${h(r.name)} <span class="badge ${r.status}">${r.status}</span></h3>`);
  const facts = [
    `time ${formatMs(r.duration_ms)}`,
    `reads blocked ${describeProbe(r.blocking.reads)}`,
    `writes blocked ${describeProbe(r.blocking.writes)}`,
    `rewrites ${describeRewrites(r)}`,
  ];
  if (r.wal_bytes !== undefined && r.wal_bytes !== null) facts.push(`WAL ${formatBytes(r.wal_bytes)}`);
  out.push(`<p class="meta">${h(facts.join(' · '))} · branch <code>${h(r.branch)}</code></p>`);
  if (r.error) out.push(`<p class="bad">${h(r.error)}</p>`);
  if (r.deploy) out.push(deployHtml(r.deploy));
  if (r.validation) {
    out.push(
      `<p>Validation: <span class="${r.validation.status === 'passed' ? 'ok' : 'bad'}">${r.validation.status}</span></p>`,
    );
    if (r.validation.output.trim())
      out.push(`<pre class="validation">${h(r.validation.output.trim())}</pre>`);
  }
  if (r.metrics && Object.keys(r.metrics).length > 0) {
    const cells = Object.entries(r.metrics)
      .map(([k, v]) => `<tr><th>${h(k)}</th><td class="num">${v === null ? 'n/a' : h(String(v))}</td></tr>`)
      .join('');
    out.push(`<table class="metrics">${cells}</table>`);
  }
  out.push('<div class="timeline-box"><h4>Lock timeline</h4>');
  if (!r.timeline)
    out.push('<p class="empty">raw timeline not recorded; drawn from the per-lock summary</p>');
  out.push(renderLockTimeline(r));
  out.push('</div>');
  out.push(schemaDiff(r, c.baseline));
  out.push(statementsTable(r));
  out.push('</section>');
  return out.join('\n');
}

function suiteSection(s: HtmlReportSuite): string {
  const c = s.comparison;
  const verdict =
    s.passed === undefined
      ? ''
      : ` <span class="badge ${s.passed ? 'passed' : 'failed'}">${s.passed ? 'passed' : 'failed'}</span>`;
  const out: string[] = [];
  out.push(`<section class="suite" id="${anchor('suite', s.name)}">`);
  out.push(`<h2>${h(s.name)}${s.pattern ? ` <small>(${h(s.pattern)})</small>` : ''}${verdict}</h2>`);
  out.push(
    `<p class="meta">checkpoint ${h(c.baseline)} · backend ${c.backend}${engineMeta(c)} · ${h(describeMode(c))}</p>`,
  );
  out.push('<section class="comparison-section"><h3>Comparison</h3>');
  out.push(comparisonTable(c));
  out.push(recommendation(c));
  // Who ran as superuser, and statements that reach outside the branch: said in every report.
  const notes = sandboxNotes(c.results);
  if (notes.length > 0)
    out.push(
      `<div class="sandbox"><h4>Outside the branch</h4><ul>${notes.map((n) => `<li>${h(n)}</li>`).join('')}</ul></div>`,
    );
  out.push('</section>');
  out.push(checksList(s.checks ?? []));
  out.push(renderLegend(c.results));
  for (const r of c.results) out.push(strategySection(s.name, c, r));
  out.push('</section>');
  return out.join('\n');
}

export function renderHtmlReport(input: HtmlReportInput): string {
  const title = input.title ?? 'vers-db report';
  const generated = input.generatedAt ?? new Date().toISOString();
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${h(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${h(title)}</h1><p class="meta">${input.subtitle ? `${h(input.subtitle)} · ` : ''}generated ${h(generated)}</p></header>
<main>
${input.suites.map(suiteSection).join('\n')}
</main>
</body>
</html>
`;
}

/** `vers-db test --report`: one comparison. */
export function renderComparisonHtml(c: Comparison, title = 'Migration strategy comparison'): string {
  return renderHtmlReport({ title, suites: [{ name: c.baseline, comparison: c }] });
}

/** `vers-db run --report`: every suite of the run. */
export function renderSuiteHtml(run: SuiteRunResult): string {
  return renderHtmlReport({
    title: `vers-db: ${run.file}`,
    subtitle: `${run.passed ? 'passed' : 'FAILED'} · ${run.mode === 'parallel' ? 'run in parallel' : 'run serially'} · ${formatMs(run.duration_ms)}`,
    suites: run.suites.map((s) => ({
      name: s.name,
      pattern: s.pattern,
      comparison: s.comparison,
      checks: s.checks,
      passed: s.passed,
    })),
  });
}

/** Alias used by the CLI's report writer. */
export const renderHtml = (c: Comparison): string => renderComparisonHtml(c);
