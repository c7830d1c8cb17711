/**
 * What both demos share (PostgreSQL: ../demo.ts, MySQL: mysql.ts): the options, the examples/
 * folder, the progress that notes the time to the first result, and the summary printed under
 * the comparison table.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { ProgressFn } from '../../core/context.js';
import { BackendError } from '../../errors.js';
import { formatBytes, formatMs } from '../../report/format.js';
import { renderComparisonTable } from '../../report/table.js';
import type { CheckpointReport, Comparison } from '../../result.js';
import { printJson, printText, useColor } from '../output.js';
import { writeReports } from '../report-files.js';

export interface DemoOptions {
  rows: number;
  json?: boolean;
  report?: string;
  markdown?: string;
  /** Default true: the example application (examples/workload/app.sql) runs during each strategy (PostgreSQL). */
  workload?: boolean;
  /** The long-reader trap: a transaction that read the tables stays open this long as each migration starts. */
  longReader?: number;
  signal?: AbortSignal;
}

/** The examples/ folder shipped beside dist/ (or src/ when run from source). */
export function examplesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'examples', 'migrations'))) return join(dir, 'examples');
    dir = dirname(dir);
  }
  throw new BackendError('cannot find the examples/ folder next to vers-db');
}

/** examples/workload/app.sql when run from the repository, else the full path. */
export function shortPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

/** Progress to stderr that notes when the first strategy's result came, `start` being the demo's start. */
export function firstResultProgress(
  progress: ProgressFn,
  start: number,
): { onProgress: ProgressFn; firstResultMs: () => number | null } {
  let first: number | null = null;
  return {
    firstResultMs: () => first,
    onProgress: (p) => {
      // "<name>: passed in N ms" ends a strategy: the first one is when the user first sees a result.
      if (first === null && /: (passed|failed) in \d+ ms$/.test(p.message)) {
        first = performance.now() - start;
        progress({ message: `${p.message} (first result ${formatMs(first)} after the demo started)` });
      } else progress(p);
    },
  };
}

export interface DemoSummary {
  rows: number;
  loadMs: number;
  tag: string;
  checkpoint: CheckpointReport;
  firstResultMs: number | null;
  start: number;
  /** Lines printed after the standard ones (engine-specific notes). */
  notes?: string[];
}

/** The comparison (JSON, or the table and a short summary), and the report files asked for. */
export async function printDemo(
  comparison: Comparison,
  o: DemoOptions,
  s: DemoSummary,
  log: (m: string) => void,
): Promise<void> {
  await writeReports(comparison, o, log);
  if (o.json) {
    printJson(comparison);
    return;
  }
  printText(renderComparisonTable(comparison, { color: useColor() }));
  const branchTimes = comparison.results.map((r) =>
    r.branch_ms === undefined ? '?' : formatMs(r.branch_ms),
  );
  const bytes = s.checkpoint.tables?.reduce((n, t) => n + t.total_bytes, 0) ?? 0;
  printText(
    [
      '',
      `Data: ${s.rows.toLocaleString('en-US')} users, ${(s.rows * 2).toLocaleString('en-US')} orders (${formatBytes(bytes)}), loaded in ${formatMs(s.loadMs)}.`,
      `Checkpoint ${s.tag}: ${formatMs(s.checkpoint.duration_ms)} (${s.checkpoint.strategy}); one branch each: ${branchTimes.join(', ')}.`,
      `Time to first result: ${s.firstResultMs === null ? '—' : formatMs(s.firstResultMs)}; all ${comparison.results.length}: ${formatMs(performance.now() - s.start)}.`,
      ...(s.notes ?? []),
    ].join('\n'),
  );
}
