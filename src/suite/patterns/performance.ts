/**
 * performance: setup SQL (measured like a migration), then the queries file run repeatedly after
 * warm-up, giving p50/p95/p99/mean latency and qps.
 */
import { performance } from 'node:perf_hooks';
import { measureMigration } from '../../collector/index.js';
import { loadParser, MAX_SQL_BYTES } from '../../collector/split.js';
import { splitStatementsOffThread } from '../../collector/split-offthread.js';
import { throwIfAborted } from '../../errors.js';
import { readTextFile } from '../../util/text-file.js';
import { blankResult, latencyStats } from '../measure.js';
import type { PerformanceBranch } from '../schema.js';
import { type BranchRun, execIn, onBranch, type PatternContext } from './context.js';

export async function runPerformanceBranch(p: PatternContext, b: PerformanceBranch): Promise<BranchRun> {
  await loadParser();
  const queries = await splitStatementsOffThread(
    await readTextFile(b.queries, b.queries, MAX_SQL_BYTES),
    b.queries,
  );
  return onBranch(p, b.name, async (branch, client, config) => {
    let result = blankResult(b.name, branch);
    if (b.setup.length > 0) {
      result = await measureMigration({
        name: b.name,
        branch,
        connection: config,
        migration: {
          kind: 'sql',
          sql: b.setup.map((q) => (q.trim().endsWith(';') ? q : `${q};`)).join('\n'),
        },
        exec: execIn(p, branch),
        collectMetrics: true,
        signal: p.signal,
        onProgress: (x) => p.onProgress?.({ message: `${b.name}: setup: ${x.message}` }),
      });
      if (result.status === 'failed') return { result, checks: [] };
    }
    // Fresh statistics, so the planner sees the index the setup added, as it would in production.
    await client.query('ANALYZE');
    const runOnce = async (latencies: number[] | null) => {
      for (const q of queries) {
        const start = performance.now();
        await client.query(q.sql);
        latencies?.push(performance.now() - start);
      }
    };
    try {
      p.onProgress?.({ message: `${b.name}: ${b.warmup} warm-up run(s)` });
      for (let i = 0; i < b.warmup; i++) await runOnce(null);
      const latencies: number[] = [];
      p.onProgress?.({
        message: `${b.name}: ${b.iterations} measured run(s) of ${queries.length} statement(s)`,
      });
      const start = performance.now();
      for (let i = 0; i < b.iterations; i++) {
        throwIfAborted(p.signal);
        await runOnce(latencies);
      }
      const wall = performance.now() - start;
      const stats = latencyStats(latencies, wall);
      result.metrics = Object.fromEntries(b.metrics.map((m) => [m, stats[m] ?? null]));
    } catch (err) {
      result.status = 'failed';
      result.error = `queries failed: ${err instanceof Error ? err.message : String(err)}`;
    }
    return { result, checks: [] };
  });
}
