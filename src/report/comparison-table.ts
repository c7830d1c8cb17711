/**
 * The one markdown comparison table: a row per strategy with its time, what the application felt,
 * the lock that mattered, rewrites, bloat, integrity and the verdict. The markdown report
 * (`--markdown`, the MCP tools' report file) and the MCP text rendering both use it, so a pull
 * request and Claude read the same table.
 */
import type { Comparison, StrategyResult } from '../result.js';
import { escapeHtml } from './escape.js';
import {
  blockedCell,
  describeBloat,
  describeLock,
  describeRewrites,
  formatMs,
  integrityProblems,
  longestLock,
  verdictOf,
} from './format.js';

const HEADER =
  '| Strategy | Time | Reads blocked | Writes blocked | Longest blocking lock | Rewrites | Bloat (dead / %) | Integrity | Rec |';
const ALIGN = '|---|---:|---:|---:|---|---|---|---|---|';

/** Text inside a table cell: pipes escaped, no line breaks, no HTML. */
function cell(text: string): string {
  return escapeHtml(text).replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

function integrityCell(r: StrategyResult): string {
  return r.integrity.ok ? 'ok' : `❌ ${integrityProblems(r).join('; ')}`;
}

function recCell(c: Comparison, r: StrategyResult): string {
  const v = verdictOf(c, r);
  return v === 'recommended' ? '✅ recommended' : v === 'acceptable' ? '✓' : '❌';
}

/** The table's lines: header, alignment, one row per strategy in the comparison's order. */
export function comparisonTableLines(c: Comparison): string[] {
  const rows = c.results.map((r) => {
    const name = r.status === 'failed' ? `${r.name} (failed)` : r.name;
    const cells = [
      cell(name),
      formatMs(r.duration_ms),
      blockedCell(r.blocking.reads),
      blockedCell(r.blocking.writes),
      cell(describeLock(longestLock(r))),
      cell(describeRewrites(r)),
      cell(describeBloat(r)),
      cell(integrityCell(r)),
      recCell(c, r),
    ];
    return `| ${cells.join(' | ')} |`;
  });
  return [HEADER, ALIGN, ...rows];
}
