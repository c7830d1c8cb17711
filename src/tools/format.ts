/**
 * The short text rendering next to structuredContent. It uses the report module's vocabulary
 * (src/report/format.ts) so Claude and the CLI describe a result in the same words, but stays
 * compact: a statement list or a per-table breakdown belongs in structuredContent, not here.
 */
import {
  blockedCell,
  describeBloat,
  describeLock,
  describeProbe,
  describeRewrites,
  formatMs,
  integrityProblems,
  longestLock,
  rejectionReason,
  verdictOf,
} from '../report/format.js';
import { describeWorkload } from '../report/workload.js';
import type { Comparison, StrategyResult } from '../result.js';

export { formatBytes, formatMs } from '../report/format.js';

/** A left-aligned plain-text table; cells never contain newlines. */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function integrityText(r: StrategyResult): string {
  return r.integrity.ok ? 'ok' : `PROBLEMS: ${integrityProblems(r).join('; ')}`;
}

/** One strategy in a few lines: outcome, the lock that mattered, what the application felt, integrity. */
export function renderStrategy(r: StrategyResult): string {
  const lines = [`${r.name}: ${r.status} in ${formatMs(r.duration_ms)} (branch ${r.branch})`];
  // The collector's error already names the statement and its line.
  if (r.error) lines.push(`error: ${r.error}`);
  lines.push(
    `statements: ${r.statements.length}`,
    `longest blocking lock: ${describeLock(longestLock(r))}`,
    `writes blocked: ${describeProbe(r.blocking.writes)}`,
    `reads blocked: ${describeProbe(r.blocking.reads)}`,
    `rewrites: ${describeRewrites(r)}`,
    `bloat (dead tuples): ${describeBloat(r)}`,
    `integrity: ${integrityText(r)}`,
  );
  if (r.workload) lines.push(`application workload: ${describeWorkload(r.workload)}`);
  if (r.validation) lines.push(`validation: ${r.validation.status}`);
  return lines.join('\n');
}

/** Markdown cell text: no pipes or line breaks. */
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

/** The comparison table (same columns as `vers-db test`), then the recommendation and its reasons. */
export function renderComparison(c: Comparison): string {
  const out = [
    `Baseline ${c.baseline} (${c.backend} backend, ${c.results.length} strategies)`,
    '',
    '| Strategy | Status | Time | Reads blocked | Writes blocked | Longest blocking lock | Rewrites | Bloat | Integrity |',
    '|---|---|---:|---:|---:|---|---|---|---|',
  ];
  for (const r of c.results) {
    const cells = [
      r.name,
      verdictOf(c, r) === 'recommended' ? `${r.status} (recommended)` : r.status,
      formatMs(r.duration_ms),
      blockedCell(r.blocking.reads),
      blockedCell(r.blocking.writes),
      describeLock(longestLock(r)),
      describeRewrites(r),
      describeBloat(r),
      r.integrity.ok ? 'ok' : integrityProblems(r).join('; '),
    ];
    out.push(`| ${cells.map(cell).join(' | ')} |`);
  }
  out.push('');
  if (c.recommendation) {
    out.push(`Recommendation: ${c.recommendation.name}`);
    for (const reason of c.recommendation.reasons) out.push(`- ${reason}`);
  } else {
    out.push('Recommendation: none (no strategy passed every check)');
  }
  for (const r of c.results) {
    const why = verdictOf(c, r) === 'rejected' ? rejectionReason(c, r) : null;
    if (why) out.push(`Rejected ${r.name}: ${why}`);
  }
  for (const r of c.results)
    if (r.workload) out.push(`Workload during ${r.name}: ${describeWorkload(r.workload)}`);
  return out.join('\n');
}
