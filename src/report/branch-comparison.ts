/**
 * Branches compared with their checkpoint (`vers-db compare`, db_compare_branches): row counts,
 * schema differences and the read-only query's result on each branch. The terminal shows every
 * table and the query's rows; the MCP text only what changed and the first rows, since
 * structuredContent holds the rest.
 */
import type { BranchComparison } from '../result.js';
import { engineNote } from './format.js';
import { terminalTable, textTable } from './tables.js';

/** The row-count columns: the checkpoint's ("checkpoint:<tag>", as core/compare.ts names it), then each branch. */
function countColumns(r: BranchComparison): string[] {
  return [`checkpoint:${r.reference}`, ...r.branches];
}

export function renderBranchComparison(r: BranchComparison): string {
  const out: string[] = [];
  const columns = countColumns(r);
  const counts = terminalTable(
    ['Table', ...columns.map((c) => (c.startsWith('checkpoint:') ? r.reference : c))],
    Object.entries(r.row_counts)
      .sort()
      .map(([rel, n]) => [
        rel,
        ...columns.map((c) => (n[c] === undefined || n[c] === null ? '—' : n[c]!.toLocaleString('en-US'))),
      ]),
  );
  const engine = engineNote(r);
  if (engine) out.push(`Engine: ${engine}`);
  out.push('Row counts (exact):', counts);
  for (const b of r.branches) {
    const diff = r.schema_differences[b] ?? [];
    out.push(
      `Schema of ${b} vs ${r.reference}: ${diff.length ? '' : 'identical'}`,
      ...diff.map((d) => `  ${d}`),
    );
  }
  if (r.query !== null) {
    for (const b of r.branches) {
      const q = r.query_results[b];
      if (!q) continue;
      if (q.error) {
        out.push(`Query on ${b}: ${q.error}`);
        continue;
      }
      out.push(
        `Query on ${b} (${q.row_count} rows${q.truncated ? ', truncated' : ''}):`,
        terminalTable(
          q.columns,
          q.rows.map((row) => q.columns.map((c) => String(row[c] ?? 'NULL'))),
        ),
      );
    }
  }
  return out.join('\n');
}

export function renderBranchComparisonText(c: BranchComparison): string {
  const out = [`compared ${c.branches.join(', ')} against checkpoint ${c.reference}`];
  const columns = countColumns(c);
  const reference = columns[0]!;
  const changed = Object.entries(c.row_counts).filter(([, counts]) =>
    c.branches.some((b) => counts[b] !== counts[reference]),
  );
  if (changed.length > 0) {
    out.push(
      textTable(
        ['relation', ...columns],
        changed.map(([relation, counts]) => [relation, ...columns.map((k) => String(counts[k] ?? '-'))]),
      ),
    );
  } else {
    out.push(`row counts: identical to the checkpoint (${Object.keys(c.row_counts).length} tables)`);
  }
  for (const [branch, diffs] of Object.entries(c.schema_differences)) {
    out.push(`schema of ${branch}: ${diffs.length === 0 ? 'unchanged' : diffs.slice(0, 10).join('; ')}`);
  }
  for (const [branch, r] of Object.entries(c.query_results)) {
    if (r.error) {
      out.push(`query on ${branch}: ERROR ${r.error}`);
      continue;
    }
    const preview = r.rows
      .slice(0, 5)
      .map((row) => JSON.stringify(row))
      .join(' ');
    out.push(
      `query on ${branch}: ${r.row_count} rows${r.truncated ? ' (truncated)' : ''} ${preview}`.trimEnd(),
    );
  }
  return out.join('\n');
}
