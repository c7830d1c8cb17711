/** Human renderings of the non-comparison results, and writing report files. */
import { writeFile } from 'node:fs/promises';
import Table from 'cli-table3';
import { formatBytes, formatMs } from '../report/format.js';
import type { BranchComparison, BranchList, CheckpointReport, Comparison } from '../result.js';
import { redactDeep } from '../util/secrets.js';

/** cli-table3 colours borders grey by default, escape codes and all, even into a pipe: no colour here. */
const PLAIN = { head: [], border: [] };

export function renderCheckpoint(r: CheckpointReport): string {
  const lines = [
    `checkpoint ${r.tag} created in ${formatMs(r.duration_ms)} (${r.backend}, ${r.strategy}) from ${r.source}`,
  ];
  if (r.tables?.length) {
    const t = new Table({ head: ['Table', 'Rows', 'Size'], style: PLAIN });
    for (const x of r.tables)
      t.push([x.relation, x.rows.toLocaleString('en-US'), formatBytes(x.total_bytes)]);
    lines.push(t.toString());
  }
  lines.push('next:', ...r.next.map((n) => `  ${n}`));
  return lines.join('\n');
}

export function renderBranchList(s: BranchList): string {
  if (s.checkpoints.length === 0 && s.branches.length === 0)
    return 'no checkpoints or branches (make one with `vers-db checkpoint <tag>`)';
  const out: string[] = [];
  if (s.checkpoints.length) {
    const t = new Table({
      head: ['Checkpoint', 'Backend', 'Id', 'Strategy', 'Created', 'State'],
      style: PLAIN,
    });
    for (const c of s.checkpoints) t.push([c.tag, c.backend, c.id, c.strategy, c.created_at, c.state]);
    out.push(t.toString());
  }
  if (s.branches.length) {
    const t = new Table({
      head: ['Branch', 'Checkpoint', 'Backend', 'Id', 'Created by', 'State'],
      style: PLAIN,
    });
    for (const b of s.branches) t.push([b.name, b.checkpoint, b.backend, b.id, b.created_by, b.state]);
    out.push(t.toString());
  }
  return out.join('\n');
}

export function renderBranchComparison(r: BranchComparison): string {
  const out: string[] = [];
  const columns = [`checkpoint:${r.reference}`, ...r.branches];
  const t = new Table({
    head: ['Table', ...columns.map((c) => (c.startsWith('checkpoint:') ? r.reference : c))],
    style: PLAIN,
  });
  for (const [rel, counts] of Object.entries(r.row_counts).sort()) {
    t.push([
      rel,
      ...columns.map((c) =>
        counts[c] === undefined || counts[c] === null ? '—' : counts[c]!.toLocaleString('en-US'),
      ),
    ]);
  }
  out.push('Row counts (exact):', t.toString());
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
      const qt = new Table({ head: q.columns, style: PLAIN });
      for (const row of q.rows) qt.push(q.columns.map((c) => String(row[c] ?? 'NULL')));
      out.push(`Query on ${b} (${q.row_count} rows${q.truncated ? ', truncated' : ''}):`, qt.toString());
    }
  }
  return out.join('\n');
}

export interface ReportFiles {
  report?: string;
  markdown?: string;
  junit?: string;
}

/** Write the report files asked for; the renderers live in src/report. */
export async function writeReports(
  c: Comparison,
  files: ReportFiles,
  log: (m: string) => void,
): Promise<void> {
  c = redactDeep(c); // every report format, whoever built the comparison
  if (files.markdown) {
    const { renderComparisonMarkdown } = await import('../report/markdown.js');
    await writeFile(files.markdown, renderComparisonMarkdown(c));
    log(`markdown report: ${files.markdown}`);
  }
  if (files.junit) {
    const { renderJUnit } = await import('../report/junit.js');
    await writeFile(files.junit, renderJUnit([{ name: `vers-db test ${c.baseline}`, comparison: c }]));
    log(`JUnit report: ${files.junit}`);
  }
  if (files.report) {
    const { renderHtml } = await import('../report/html.js');
    await writeFile(files.report, renderHtml(c));
    log(`HTML report: ${files.report}`);
  }
}
