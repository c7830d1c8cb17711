/**
 * Part 1, thin rows: the same source moved onto the loopback XFS volume (bench/lib/thin.ts) and
 * branched with FILE_COPY + clone there, with fsync on (the default) and off (`up --no-fsync`).
 * The targets: ≥ 100× faster than pg_restore at 4 GB, and < 2× growth from 0.1 to 4 GB.
 */
import type { Context } from '../src/core/context.js';
import type { StrategyTiming } from './lib/copy-tables.js';
import { log } from './lib/log.js';
import type { Target } from './lib/report.js';
import type { BenchServer } from './lib/servers.js';
import { moveDatabase, setServerFsync, type ThinSpace, volumeUsed } from './lib/thin.js';
import { fmtBytes, fmtMs, median, timed } from './lib/timing.js';
import { benchContext } from './lib/vers.js';

export const THIN_STRATEGIES = ['thin', 'thin, fsync off'] as const;

/** Thin rows fill fresh-copy's per-strategy record. */
export type ThinTiming = StrategyTiming;

export interface ThinRun {
  moveMs: number;
  timings: ThinTiming[];
}

type TimeBranches = (ctx: Context, tag: string, reps: number, t: ThinTiming) => Promise<void>;

export async function thinRows(
  server: BenchServer,
  thin: ThinSpace,
  source: string,
  label: string,
  reps: number,
  stateDir: string,
  timeBranches: TimeBranches,
): Promise<ThinRun> {
  log(`${server.label} ${label}: moving the source onto the XFS volume (ALTER DATABASE … SET TABLESPACE)`);
  const move = await timed(() => moveDatabase(server.url, source, thin.tablespace));
  const timings: ThinTiming[] = [];
  for (const strategy of THIN_STRATEGIES) {
    const t: ThinTiming = {
      strategy,
      createMs: [],
      endToEndMs: [],
      checkpointMs: Number.NaN,
      recorded: '',
      error: null,
      rawSql: false,
    };
    timings.push(t);
    const fsyncOff = strategy === 'thin, fsync off';
    const ctx = benchContext(server, source, stateDir, 'clone');
    try {
      if (fsyncOff) await setServerFsync(server.url, false);
      log(`${server.label} ${label}: checkpoint + ${reps} branches, ${strategy}`);
      const before = await volumeUsed(thin.mountPoint);
      await timeBranches(ctx, `p1-thin${fsyncOff ? 'nofsync' : ''}`, reps, t);
      t.volumeGrowth = (await volumeUsed(thin.mountPoint)) - before;
      log(`${server.label} ${label}: ${strategy} branch median ${fmtMs(median(t.endToEndMs))}`);
    } catch (err) {
      t.error = (err as Error).message;
      log(`${server.label} ${label}: ${strategy} failed: ${t.error}`);
    } finally {
      await ctx.close();
      if (fsyncOff) await setServerFsync(server.url, true);
    }
  }
  return { moveMs: move.ms, timings };
}

export function thinLabel(strategy: string): string {
  return `vers-db branch, thin: FILE_COPY + clone on a loopback XFS volume with reflinks${strategy.includes('fsync off') ? ', fsync off' : ''}`;
}

interface SizedRun {
  bytes: number;
  server: BenchServer;
  restoreMs: number | null;
  strategies: ThinTiming[];
}

const CROSS =
  'PG18 thin branch vs PG15 pg_restore: clone needs PostgreSQL 18 and the only pg_restore here is Debian 15';

/** The two thin targets, from the PG18 runs (thin rows) and the PG15 runs (pg_restore) of each size. */
export function thinTargets(runs: SizedRun[], thinMissing: string | null): Target[] {
  const growthName = 'thin branch growth 0.1 → 4 GB';
  const restoreName = 'thin branch vs pg_restore at 4 GB';
  if (thinMissing) {
    const why = `no thin rows: ${thinMissing}`;
    return [
      { name: restoreName, target: '≥ 100× faster', measured: '—', met: null, why },
      { name: growthName, target: '< 2×', measured: '—', met: null, why },
    ];
  }
  const thinRunsOf = (strategy: string) =>
    runs
      .filter((r) => !r.server.clientBin)
      .map((r) => ({ r, t: r.strategies.find((t) => t.strategy === strategy && !t.error) }))
      .filter((x) => x.t && x.t.endToEndMs.length > 0)
      .sort((a, b) => a.r.bytes - b.r.bytes);
  const out: Target[] = [];
  const thin = thinRunsOf('thin');
  const fast = thinRunsOf('thin, fsync off');
  const largest = thin.at(-1);
  const twin =
    largest &&
    runs.find(
      (r) =>
        r.server.clientBin && r.restoreMs !== null && Math.abs(Math.log(r.bytes / largest.r.bytes)) < 0.2,
    );
  const at4 = largest ? largest.r.bytes >= 3.5 * 1024 ** 3 : false;
  if (largest && twin) {
    const ms = median(largest.t!.endToEndMs);
    const fastMs = fast.at(-1) ? median(fast.at(-1)!.t!.endToEndMs) : Number.NaN;
    const x = twin.restoreMs! / ms;
    const xf = twin.restoreMs! / fastMs;
    out.push({
      name: restoreName,
      target: '≥ 100× faster',
      measured: `${x.toFixed(0)}× (thin ${fmtMs(ms)} vs pg_restore -j ${fmtMs(twin.restoreMs!)} at ${fmtBytes(largest.r.bytes)}); with fsync off ${Number.isFinite(xf) ? `${xf.toFixed(0)}× (${fmtMs(fastMs)})` : '—'}. ${CROSS}`,
      met: at4 ? x >= 100 || xf >= 100 : null,
      why: at4
        ? x >= 100
          ? "A clone shares the files' blocks: what is left is two checkpoints and one fsync per file."
          : 'What a clone still pays is two checkpoints and one fsync per file (hundreds per database) through the loop device to the host disk; with fsync off it is the checkpoints and the catalog work.'
        : `Measured up to ${fmtBytes(largest.r.bytes)} only: BENCH_LARGE=1 adds 4 GB.`,
    });
  }
  const first = thin[0];
  if (first && largest && first !== largest) {
    const g = median(largest.t!.endToEndMs) / median(first.t!.endToEndMs);
    const gf =
      fast.length > 1 ? median(fast.at(-1)!.t!.endToEndMs) / median(fast[0]!.t!.endToEndMs) : Number.NaN;
    out.push({
      name: growthName,
      target: '< 2×',
      measured: `${g.toFixed(2)}× (${fmtMs(median(first.t!.endToEndMs))} at ${fmtBytes(first.r.bytes)} → ${fmtMs(median(largest.t!.endToEndMs))} at ${fmtBytes(largest.r.bytes)}); fsync off ${Number.isFinite(gf) ? `${gf.toFixed(2)}×` : '—'}`,
      met: at4 ? g < 2 : null,
      why: at4
        ? 'A clone is constant in bytes; it grows only with the number of files (segments of 1 GB each), each fsynced once.'
        : `Measured up to ${fmtBytes(largest.r.bytes)} only: BENCH_LARGE=1 adds 4 GB.`,
    });
  }
  return out;
}
