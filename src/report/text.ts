/**
 * The short text rendering next to an MCP tool's structuredContent. It uses the reports'
 * vocabulary (format.ts) and the markdown report's comparison table (comparison-table.ts), so
 * Claude and the CLI describe a result in the same words, but stays compact: a statement list or a
 * per-table breakdown belongs in structuredContent, not here.
 */
import type { Comparison, StrategyResult } from '../result.js';
import { comparisonTableLines } from './comparison-table.js';
import { deployText } from './deploy.js';
import {
  describeBloat,
  describeLock,
  describeProbe,
  describeRewrites,
  engineNote,
  formatMs,
  integrityProblems,
  longestLock,
  rejectionReason,
  verdictOf,
} from './format.js';
import { describeWorkload } from './workload.js';

function integrityText(r: StrategyResult): string {
  return r.integrity.ok ? 'ok' : `PROBLEMS: ${integrityProblems(r).join('; ')}`;
}

/** One strategy in a few lines: outcome, the lock that mattered, what the application felt, integrity. */
export function renderStrategyText(r: StrategyResult): string {
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
  if (r.deploy) lines.push(`deploy rehearsal: ${deployText(r.deploy)}`);
  if (r.validation) lines.push(`validation: ${r.validation.status}`);
  return lines.join('\n');
}

/** The comparison table (the markdown report's), then the recommendation and its reasons. */
export function renderComparisonText(c: Comparison): string {
  const out = [
    `Baseline ${c.baseline} (${engineNote(c) ? `${engineNote(c)}, ` : ''}${c.backend} backend, ${c.results.length} strategies)`,
    '',
    ...comparisonTableLines(c),
    '',
  ];
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
  for (const r of c.results) if (r.deploy) out.push(`Deploy rehearsal of ${r.name}: ${deployText(r.deploy)}`);
  return out.join('\n');
}
