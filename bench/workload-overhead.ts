/**
 * What `--workload` itself costs, side by side in one run: strategies A, B and C of the example on
 * one checkpoint, each run with and without the example application's workload (every write rolled
 * back, so all three pass), alternating the order. Reports the migration's own time with and
 * without (the load the application adds), the wall time per test (the baseline and after windows,
 * key sampling, the committed-write check), the rate achieved against the rate asked, and the CPU
 * time of this process. Standalone: `node --import tsx bench/workload-overhead.ts [--users N] [--reps N]`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testMigration } from '../src/core/index.js';
import type { StrategyResult } from '../src/result.js';
import { loadSeed, STRATEGY_FILES, vacuum } from './lib/data.js';
import { log } from './lib/log.js';
import { startEmbedded18 } from './lib/servers.js';
import { fmtMs, median } from './lib/timing.js';
import { benchContext } from './lib/vers.js';

const WORKLOAD = fileURLToPath(new URL('./sql/workload-rollback.sql', import.meta.url));
const DATABASE = 'wl_overhead';
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};

interface Side {
  migrationMs: number[];
  wallMs: number[];
  cpuMs: number[];
  achievedRate: number[];
}

const side = (): Side => ({ migrationMs: [], wallMs: [], cpuMs: [], achievedRate: [] });

function achieved(r: StrategyResult): number {
  const w = r.workload!;
  const n = w.statements.reduce(
    (sum, s) => sum + s.phases.baseline.count + s.phases.migration.count + s.phases.after.count,
    0,
  );
  const ms = w.windows.baseline_ms + w.windows.migration_ms + w.windows.after_ms;
  return n / (ms / 1000);
}

async function main(): Promise<void> {
  const users = arg('--users', 200_000);
  const reps = arg('--reps', 2);
  const dir = await mkdtemp(join(tmpdir(), 'vers-db-wl-bench-'));
  const server = await startEmbedded18(dir);
  const ctx = benchContext(server, DATABASE, join(dir, 'state'));
  try {
    log(`loading ${users} users`);
    await loadSeed(server.url, DATABASE, users);
    await vacuum(server.url, DATABASE);
    await (await ctx.backend()).checkpoint('wl-overhead');
    const rows: { strategy: string; with: Side; without: Side }[] = [];
    for (const file of STRATEGY_FILES) {
      const row = { strategy: basename(file, '.sql'), with: side(), without: side() };
      rows.push(row);
      const order = Array.from({ length: reps }, (_, i) => (i % 2 ? [false, true] : [true, false])).flat();
      for (const withWorkload of order) {
        log(`${row.strategy}: ${withWorkload ? 'with' : 'without'} the workload`);
        const cpu = process.cpuUsage();
        const start = performance.now();
        const r = await testMigration(ctx, {
          baseline: 'wl-overhead',
          migration: file,
          kind: 'file',
          workload: withWorkload ? { file: WORKLOAD } : undefined,
          createdBy: 'vers-db bench',
        });
        const wall = performance.now() - start;
        const used = process.cpuUsage(cpu);
        if (r.status !== 'passed') throw new Error(`${row.strategy} failed: ${r.error}`);
        const s = withWorkload ? row.with : row.without;
        s.migrationMs.push(r.duration_ms);
        s.wallMs.push(wall);
        s.cpuMs.push((used.user + used.system) / 1000);
        if (withWorkload) s.achievedRate.push(achieved(r));
      }
    }
    const lines = [
      `Workload overhead (${server.version}, ${users.toLocaleString('en-US')} users, ${reps} runs per side, medians)`,
      '',
      '| strategy | migration without | migration with | ratio | wall without | wall with | added per test | CPU without | CPU with | rate asked | rate achieved |',
      '|---|---|---|---|---|---|---|---|---|---|---|',
    ];
    for (const r of rows) {
      const m0 = median(r.without.migrationMs);
      const m1 = median(r.with.migrationMs);
      const w0 = median(r.without.wallMs);
      const w1 = median(r.with.wallMs);
      lines.push(
        `| ${r.strategy} | ${fmtMs(m0)} | ${fmtMs(m1)} | ${(m1 / m0).toFixed(2)}× | ${fmtMs(w0)} | ${fmtMs(w1)} | ${fmtMs(w1 - w0)} | ${fmtMs(median(r.without.cpuMs))} | ${fmtMs(median(r.with.cpuMs))} | 400/s | ${Math.round(median(r.with.achievedRate))}/s |`,
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await (await ctx.backend()).deleteCheckpoint('wl-overhead', { force: true }).catch(() => undefined);
    await ctx.close();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
