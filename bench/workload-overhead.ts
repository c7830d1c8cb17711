/**
 * Part 6 — what `--workload` itself costs, side by side in one run: strategies A, B and C of the
 * example on one checkpoint, each run with and without the example application's workload (every
 * write rolled back, so all three pass), alternating the order. Reports the migration's own time
 * with and without (the load the application adds), the wall time per test (the baseline and after
 * windows, key sampling, the committed-write check), the rate achieved against the rate asked, and
 * the CPU time of the vers-db process. Part of `npm run bench`; also standalone:
 * `node --import tsx bench/workload-overhead.ts [--users N] [--reps N]`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testMigration } from '../src/core/index.js';
import type { StrategyResult } from '../src/result.js';
import { loadSeed, STRATEGY_FILES, vacuum } from './lib/data.js';
import { log } from './lib/log.js';
import { markdownTable, type PartResult, type Table } from './lib/report.js';
import { type BenchServer, startEmbedded18 } from './lib/servers.js';
import { fmtMs, median } from './lib/timing.js';
import { benchContext } from './lib/vers.js';
import type { BenchContext } from './run.js';

const WORKLOAD = fileURLToPath(new URL('./sql/workload-rollback.sql', import.meta.url));
const RATE = 400;

interface Side {
  migrationMs: number[];
  wallMs: number[];
  cpuMs: number[];
  achievedRate: number[];
}

interface Row {
  strategy: string;
  with: Side;
  without: Side;
}

const side = (): Side => ({ migrationMs: [], wallMs: [], cpuMs: [], achievedRate: [] });

function achieved(r: StrategyResult): number {
  const w = r.workload!;
  const n = w.statements.reduce(
    (sum, s) => sum + s.phases.baseline.count + s.phases.migration.count + s.phases.after.count,
    0,
  );
  return n / ((w.windows.baseline_ms + w.windows.migration_ms + w.windows.after_ms) / 1000);
}

async function measure(
  server: BenchServer,
  database: string,
  stateDir: string,
  reps: number,
): Promise<Row[]> {
  const ctx = benchContext(server, database, stateDir);
  const rows: Row[] = [];
  try {
    await (await ctx.backend()).checkpoint('p6-workload');
    for (const file of STRATEGY_FILES) {
      const row: Row = { strategy: basename(file, '.sql'), with: side(), without: side() };
      rows.push(row);
      // Alternate the order so a warm cache or a busy neighbour favours neither side.
      const order = Array.from({ length: reps }, (_, i) => (i % 2 ? [false, true] : [true, false])).flat();
      for (const withWorkload of order) {
        log(`workload overhead: ${row.strategy} ${withWorkload ? 'with' : 'without'} the workload`);
        const cpu = process.cpuUsage();
        const start = performance.now();
        const r = await testMigration(ctx, {
          baseline: 'p6-workload',
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
  } finally {
    await (await ctx.backend()).deleteCheckpoint('p6-workload', { force: true }).catch(() => undefined);
    await ctx.close();
  }
  return rows;
}

function table(rows: Row[]): Table {
  return {
    head: [
      'strategy',
      'migration without',
      'migration with',
      'ratio',
      'whole test without',
      'whole test with',
      'added per test',
      'vers-db CPU without',
      'vers-db CPU with',
      'rate asked',
      'rate achieved',
    ],
    rows: rows.map((r) => {
      const m0 = median(r.without.migrationMs);
      const m1 = median(r.with.migrationMs);
      const w0 = median(r.without.wallMs);
      const w1 = median(r.with.wallMs);
      return [
        r.strategy,
        fmtMs(m0),
        fmtMs(m1),
        `${(m1 / m0).toFixed(2)}×`,
        fmtMs(w0),
        fmtMs(w1),
        fmtMs(w1 - w0),
        fmtMs(median(r.without.cpuMs)),
        fmtMs(median(r.with.cpuMs)),
        `${RATE}/s`,
        `${Math.round(median(r.with.achievedRate))}/s`,
      ];
    }),
  };
}

function summary(rows: Row[]): string {
  const ratios = rows.map((r) => median(r.with.migrationMs) / median(r.without.migrationMs));
  const added = rows.map((r) => median(r.with.wallMs) - median(r.without.wallMs));
  return (
    `migration time with/without ${Math.min(...ratios).toFixed(2)}×–${Math.max(...ratios).toFixed(2)}×; ` +
    `${fmtMs(Math.min(...added))}–${fmtMs(Math.max(...added))} added per test (3 s of it the baseline and after windows)`
  );
}

export async function workloadOverhead(b: BenchContext): Promise<PartResult> {
  const rows = await measure(b.pg18, b.data18.database, join(b.dir, 'vers-db-state-p6'), b.quick ? 1 : 2);
  return {
    section: {
      title: '6. What the workload mode costs',
      intro: [
        `On ${b.pg18.label} (${b.pg18.version}), ${b.data18.users.toLocaleString('en-US')} users. Each strategy with and without`,
        '`--workload bench/sql/workload-rollback.sql` (the example application at 400 statements/s over 8 sessions, writes rolled back).',
        'The migration shares the server with the application, so "migration with" is what it takes under that load;',
        '"added per test" is the baseline and after windows (2 s + 1 s), key sampling and the committed-write check.',
      ],
      tables: [table(rows)],
      notes: [],
    },
    targets: [
      {
        name: 'workload mode overhead',
        target: 'stated',
        measured: summary(rows),
        met: true,
        why: 'There is no limit to meet: the workload is load the user asks for. The ratio shows what it does to the migration on this machine.',
      },
    ],
  };
}

async function standalone(): Promise<void> {
  const arg = (name: string, fallback: number) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const users = arg('--users', 200_000);
  const dir = await mkdtemp(join(tmpdir(), 'vers-db-wl-bench-'));
  const server = await startEmbedded18(dir);
  try {
    log(`loading ${users} users`);
    await loadSeed(server.url, 'wl_overhead', users);
    await vacuum(server.url, 'wl_overhead');
    const rows = await measure(server, 'wl_overhead', join(dir, 'state'), arg('--reps', 2));
    process.stdout.write(
      `${server.version}, ${users} users\n\n${markdownTable(table(rows))}\n\n${summary(rows)}\n`,
    );
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await standalone();
