/**
 * Part 3 — what measuring costs, and how exact it is. (a) The same migration with and without the
 * collector (lock sampler every 10 ms, read and write probes, full snapshots): overhead on the
 * migration's own time and on the whole test. (b) Locks held on purpose for 20, 50, 100 and
 * 500 ms: the held_ms the collector reports vs. the transaction's duration measured by the client.
 */
import { basename, join } from 'node:path';
import { testMigration } from '../src/core/index.js';
import type { StrategyResult } from '../src/result.js';
import { withClient } from '../src/util/pg.js';
import { createDatabase, dropDatabase, inDatabase, STRATEGY_FILES } from './lib/data.js';
import { log } from './lib/log.js';
import type { PartResult, Table, Target } from './lib/report.js';
import { fmtBytes, fmtMs, median, timed } from './lib/timing.js';
import { benchContext } from './lib/vers.js';
import type { BenchContext } from './run.js';

const HOLDS_MS = [20, 50, 100, 500];
const LOCK_TABLE_SQL = 'CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 1000)';
const holdSql = (ms: number) =>
  `BEGIN;\nLOCK TABLE t IN ACCESS EXCLUSIVE MODE;\nSELECT pg_sleep(${(ms / 1000).toFixed(3)});\nCOMMIT;\n`;

interface OverheadRow {
  strategy: string;
  withMs: number[];
  withoutMs: number[];
  withWallMs: number[];
  withoutWallMs: number[];
  /** Probe transactions per second of migration time, with the collector. */
  probeRate: number[];
}

const pct = (a: number, b: number) => ((a - b) / b) * 100;
/** Run-to-run spread of the same measurement, in % of its median: how much noise there is. */
const spread = (xs: number[]) =>
  xs.length < 2 ? 0 : ((Math.max(...xs) - Math.min(...xs)) / median(xs)) * 100;
const fmtPct = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)} %`;

async function overhead(b: BenchContext, stateDir: string): Promise<OverheadRow[]> {
  const ctx = benchContext(b.pg18, b.data18.database, stateDir);
  const rows: OverheadRow[] = [];
  try {
    await (await ctx.backend()).checkpoint('p3-overhead');
    for (const file of STRATEGY_FILES) {
      const row: OverheadRow = {
        strategy: basename(file, '.sql'),
        withMs: [],
        withoutMs: [],
        withWallMs: [],
        withoutWallMs: [],
        probeRate: [],
      };
      rows.push(row);
      // Alternate the order so a warm cache or a busy neighbour favours neither side.
      for (const collect of b.quick ? [true, false, false, true] : [true, false, false, true, true, false]) {
        log(`collector overhead: ${row.strategy} with collectMetrics=${collect}`);
        const { ms, value } = await timed(() =>
          testMigration(ctx, {
            baseline: 'p3-overhead',
            migration: file,
            kind: 'file',
            collectMetrics: collect,
            createdBy: 'vers-db bench',
          }),
        );
        if (value.status !== 'passed') throw new Error(`${row.strategy} failed: ${value.error}`);
        (collect ? row.withMs : row.withoutMs).push(value.duration_ms);
        if (collect && value.duration_ms > 0) {
          const probes = value.blocking.reads.probes + value.blocking.writes.probes;
          row.probeRate.push(probes / (value.duration_ms / 1000));
        }
        (collect ? row.withWallMs : row.withoutWallMs).push(ms);
      }
    }
  } finally {
    await (await ctx.backend()).deleteCheckpoint('p3-overhead', { force: true }).catch(() => undefined);
    await ctx.close();
  }
  return rows;
}

interface LockRow {
  holdMs: number;
  heldMs: number[];
  actualMs: number[];
  missing: number;
}

/** The client-side duration of the locked stretch: from LOCK TABLE's start to COMMIT's end. */
function clientHoldMs(r: StrategyResult): number {
  const [, lock, sleep, commit] = r.statements;
  if (lock?.start_ms !== undefined && commit?.start_ms !== undefined)
    return commit.start_ms + commit.duration_ms - lock.start_ms;
  return (lock?.duration_ms ?? 0) + (sleep?.duration_ms ?? 0) + (commit?.duration_ms ?? 0);
}

async function lockResolution(b: BenchContext, stateDir: string): Promise<LockRow[]> {
  const db = 'bench_locks';
  await dropDatabase(b.pg18.url, db);
  await createDatabase(b.pg18.url, db);
  await withClient(inDatabase(b.pg18.url, db), (c) => c.query(LOCK_TABLE_SQL));
  const ctx = benchContext(b.pg18, db, stateDir);
  const reps = b.quick ? 3 : 5;
  const rows: LockRow[] = [];
  try {
    await (await ctx.backend()).checkpoint('p3-locks');
    for (const hold of HOLDS_MS) {
      const row: LockRow = { holdMs: hold, heldMs: [], actualMs: [], missing: 0 };
      rows.push(row);
      log(`lock resolution: ${reps} × ACCESS EXCLUSIVE held for ${hold} ms`);
      for (let i = 0; i < reps; i++) {
        const r = await testMigration(ctx, {
          baseline: 'p3-locks',
          name: `hold-${hold}ms`,
          migration: holdSql(hold),
          kind: 'sql',
          createdBy: 'vers-db bench',
        });
        if (r.status !== 'passed') throw new Error(`lock hold ${hold} ms failed: ${r.error}`);
        const lock = r.locks.find((l) => l.relation === 'public.t' && l.mode === 'AccessExclusiveLock');
        if (!lock) {
          row.missing++;
          continue;
        }
        row.heldMs.push(lock.held_ms);
        row.actualMs.push(clientHoldMs(r));
      }
    }
  } finally {
    await (await ctx.backend()).deleteCheckpoint('p3-locks', { force: true }).catch(() => undefined);
    await ctx.close();
    await dropDatabase(b.pg18.url, db);
  }
  return rows;
}

function overheadTable(rows: OverheadRow[]): Table {
  return {
    head: [
      'strategy',
      'migration time without collector',
      'with collector',
      'overhead on the migration',
      'whole test without',
      'whole test with',
      'overhead on the whole test',
      'probe transactions / s',
      'n each',
    ],
    rows: rows.map((r) => {
      const w = median(r.withMs);
      const wo = median(r.withoutMs);
      const ww = median(r.withWallMs);
      const wwo = median(r.withoutWallMs);
      return [
        r.strategy,
        fmtMs(wo),
        fmtMs(w),
        fmtPct(pct(w, wo)),
        fmtMs(wwo),
        fmtMs(ww),
        fmtPct(pct(ww, wwo)),
        median(r.probeRate).toFixed(0),
        String(r.withMs.length),
      ];
    }),
  };
}

function lockTable(rows: LockRow[]): Table {
  return {
    head: [
      'lock held on purpose',
      'client-measured hold (median)',
      'collector held_ms (median)',
      'error: median',
      'error: worst',
      'samples',
      'not seen',
    ],
    rows: rows.map((r) => {
      const errs = r.heldMs.map((h, i) => h - r.actualMs[i]!);
      const worst = errs.reduce((a, e) => (Math.abs(e) > Math.abs(a) ? e : a), 0);
      return [
        `${r.holdMs} ms`,
        fmtMs(median(r.actualMs)),
        `${median(r.heldMs).toFixed(1)} ms`,
        `${median(errs) >= 0 ? '+' : ''}${median(errs).toFixed(1)} ms`,
        `${worst >= 0 ? '+' : ''}${worst.toFixed(1)} ms`,
        String(r.heldMs.length),
        String(r.missing),
      ];
    }),
  };
}

function targets(b: BenchContext, over: OverheadRow[], locks: LockRow[]): Target[] {
  const per = over.map((r) => ({ s: r.strategy, p: pct(median(r.withMs), median(r.withoutMs)) }));
  // The verdict is on the three migrations together (time-weighted), which is less noisy than any one.
  const sumWith = over.reduce((a, r) => a + median(r.withMs), 0);
  const sumWithout = over.reduce((a, r) => a + median(r.withoutMs), 0);
  const overall = pct(sumWith, sumWithout);
  const noise = Math.max(...over.map((r) => spread(r.withoutMs)));
  const overheadMet = overall <= 5;
  const withinNoise = Math.abs(overall) <= noise;
  const relevant = locks.filter((l) => l.holdMs >= 50);
  const errs = relevant.flatMap((l) => l.heldMs.map((h, i) => h - l.actualMs[i]!));
  const worstErr = errs.reduce((a, e) => (Math.abs(e) > Math.abs(a) ? e : a), 0);
  const missing = relevant.reduce((a, l) => a + l.missing, 0);
  const lockMet = errs.length > 0 && missing === 0 && errs.every((e) => Math.abs(e) <= 10);
  return [
    {
      name: 'collector overhead',
      target: '≤ 5 % of migration time',
      measured: `${fmtPct(overall)} over A+B+C (${per.map((x) => `${x.s.replace('v2-strategy-', '')} ${fmtPct(x.p)}`).join(', ')}); run-to-run spread up to ${noise.toFixed(0)} %`,
      met: overheadMet,
      why:
        (withinNoise
          ? `The difference is within the run-to-run noise of this machine (the same migration without the collector varied by up to ${noise.toFixed(0)} %), so this run cannot tell a 5 % overhead from none. `
          : '') +
        (overheadMet
          ? `Within the goal in this run. The collector still runs about ${median(over.flatMap((r) => r.probeRate)).toFixed(0)} lock-probe transactions per second plus 100 pg_locks samples, so on a CPU-starved machine (${b.cores} cores shared with other work) the overhead varies from run to run and can exceed 5 %; a longer probe pause (20–25 ms) would keep it down.`
          : `On ${b.cores} cores the collector's queries compete with the migration's backend for CPU: the probes alone ran about ${median(over.flatMap((r) => r.probeRate)).toFixed(0)} lock-probe transactions per second (one round trip each, a 5 ms pause per probe loop, two loops per table), several times the sampler's 100 pg_locks queries per second. A longer probe pause (20–25 ms: a blocked probe still measures its whole wait) or a machine with cores to spare would meet it.`),
    },
    {
      name: 'lock timing resolution',
      target: '±10 ms of actual for holds ≥ 50 ms',
      measured: errs.length
        ? `worst error ${worstErr >= 0 ? '+' : ''}${worstErr.toFixed(1)} ms over ${errs.length} holds of 50–500 ms${missing ? `, ${missing} not seen` : ''}`
        : 'no lock seen',
      met: lockMet,
      why: lockMet
        ? 'Sampling every 10 ms bounds the error by one interval at each end; the intervals are anchored on the statement boundaries.'
        : `A 10 ms sampler can miss up to one interval at each end, and on ${b.cores} busy cores a sample query can be late; sampling faster, or taking the interval ends from the statement boundaries the runner already knows, would tighten it.`,
    },
  ];
}

export async function measuringCost(b: BenchContext): Promise<PartResult> {
  const stateDir = join(b.dir, 'vers-db-state-p3');
  const over = await overhead(b, stateDir);
  const locks = await lockResolution(b, stateDir);
  return {
    section: {
      title: '3. The cost and resolution of measuring',
      intro: [
        `On ${b.pg18.label} (${b.pg18.version}), ${fmtBytes(b.data18.bytes)} of data. "Migration time" is the result's duration_ms (first statement`,
        'start to last statement end); "whole test" adds branching, the before/after snapshots and dropping the branch.',
        'Without the collector (collectMetrics false) only statement timings and row counts are taken.',
      ],
      tables: [overheadTable(over), lockTable(locks)],
      notes: [
        'Locks: `BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(x); COMMIT;` run as a migration with the collector; the client-measured hold is from the start of LOCK TABLE to the end of COMMIT as the statement runner timed it.',
      ],
    },
    targets: targets(b, over, locks),
  };
}
