/**
 * Part 1 — a fresh writable copy of a loaded database: vers-db branch from a checkpoint (each
 * clone strategy the server offers) vs. pg_restore of a pg_dump -Fc vs. the use-case's reset loop
 * (drop, create, load the schema, generate the data again).
 */
import { join } from 'node:path';
import type { Context } from '../src/core/context.js';
import { quoteIdent, withClient } from '../src/util/pg.js';
import {
  bestBranch,
  branchTarget,
  buildTables,
  type ServerRun,
  type SizeCase,
  type StrategyTiming,
} from './lib/copy-tables.js';
import { admin, databaseSize, dropDatabase, inDatabase, loadSeed, vacuum } from './lib/data.js';
import { pgDump, pgRestore } from './lib/dump.js';
import { log } from './lib/log.js';
import type { PartResult } from './lib/report.js';
import type { BenchServer } from './lib/servers.js';
import { moveDatabase, type ThinSpace } from './lib/thin.js';
import { fmtBytes, fmtMs, median, ratio, timed } from './lib/timing.js';
import { benchContext } from './lib/vers.js';
import { thinLabel, thinRows, thinTargets } from './thin-copy.js';

export type { SizeCase } from './lib/copy-tables.js';

/** The size part 5 (against the ideal tool) runs at: BENCH_IDEAL_SIZE, else 1GB. */
const idealSize = () => process.env.BENCH_IDEAL_SIZE ?? '1GB';

export interface FreshCopyInput {
  dir: string;
  cores: number;
  pg18: BenchServer;
  pg15: BenchServer | null;
  pg15Missing: string | null;
  sizes: SizeCase[];
  usersFor: (bytes: number) => number;
  /** The loopback XFS volume as a tablespace of the PG18 server, or why there is none. */
  thin?: ThinSpace | null;
  thinMissing?: string | null;
}

/** Datasets kept for the later parts: the smallest size on each server (and its dump on PG15). */
export interface KeptData {
  database: string;
  users: number;
  orders: number;
  bytes: number;
  dumpFile: string | null;
  /** How long generating it took (the reset loop). */
  loadMs?: number;
}

const STRATEGIES_18 = ['WAL_LOG', 'FILE_COPY', 'clone'];
const STRATEGIES_15 = ['WAL_LOG', 'FILE_COPY'];
const WRITABLE_SQL = 'CREATE TABLE bench_writable (x int); DROP TABLE bench_writable';

export async function timeBranches(
  ctx: Context,
  tag: string,
  reps: number,
  t: StrategyTiming,
): Promise<void> {
  const backend = await ctx.backend();
  const ckpt = await timed(() => backend.checkpoint(tag));
  t.checkpointMs = ckpt.ms;
  t.recorded = ckpt.value.strategy;
  try {
    for (let i = 0; i < reps; i++) {
      const name = `${tag}-b${i}`;
      const { ms, value } = await timed(async () => {
        const [info] = await backend.branch(tag, [name], { createdBy: 'vers-db bench' });
        const conn = await backend.connect(name);
        await withClient(conn.config, (c) => c.query(WRITABLE_SQL));
        return info!;
      });
      t.createMs.push(value.durationMs);
      t.endToEndMs.push(ms);
      await backend.destroy(name);
    }
  } finally {
    await backend.deleteCheckpoint(tag, { force: true });
  }
}

/**
 * The same template copies in plain SQL, used only when vers-db's backend failed for a strategy
 * (so the table still shows what the server can do, next to the failure).
 */
async function timeRawCopies(
  server: BenchServer,
  source: string,
  strategy: string,
  reps: number,
  t: StrategyTiming,
): Promise<void> {
  const template = `${source}_rawtpl`;
  const clause = `STRATEGY ${strategy === 'FILE_COPY' ? 'FILE_COPY' : 'WAL_LOG'}`;
  const copy = (target: string, from: string) =>
    withClient(admin(server.url), (c) =>
      c.query(`CREATE DATABASE ${quoteIdent(target)} TEMPLATE ${quoteIdent(from)} ${clause}`),
    );
  try {
    t.checkpointMs = (await timed(() => copy(template, source))).ms;
    t.recorded = `${strategy}, plain SQL`;
    for (let i = 0; i < reps; i++) {
      const target = `${source}_raw${i}`;
      const { ms, value } = await timed(async () => {
        const inner = await timed(() => copy(target, template));
        await withClient(inDatabase(server.url, target), (c) => c.query(WRITABLE_SQL));
        return inner.ms;
      });
      t.createMs.push(value);
      t.endToEndMs.push(ms);
      await dropDatabase(server.url, target);
    }
  } catch (err) {
    t.error = (err as Error).message;
  } finally {
    await dropDatabase(server.url, template);
  }
}

async function runOnServer(
  input: FreshCopyInput,
  server: BenchServer,
  size: SizeCase,
  keep: boolean,
): Promise<{ run: ServerRun; kept: KeptData | null }> {
  const short = server.clientBin ? '15' : '18';
  const source = `bench_src_${size.label.replace(/\W/g, '').toLowerCase()}`;
  const users = input.usersFor(size.targetBytes);
  log(`${server.label} ${size.label}: reset loop — drop, create, schema, generate ${users} users`);
  const reset = await timed(() => loadSeed(server.url, source, users));
  const bytes = await databaseSize(server.url, source);
  log(`${server.label} ${size.label}: ${fmtBytes(bytes)} loaded in ${fmtMs(reset.ms)}`);
  // Not part of the reset loop: leaves autovacuum nothing to do, so no worker holds the source during a copy.
  await vacuum(server.url, source);
  const run: ServerRun = {
    server,
    size,
    users,
    bytes,
    resetLoopMs: reset.ms,
    dumpMs: null,
    restoreMs: null,
    strategies: [],
  };
  let dumpFile: string | null = null;
  if (server.clientBin) {
    dumpFile = join(input.dir, `${source}.dump`);
    run.dumpMs = await pgDump(server, source, dumpFile);
    const target = `${source}_restored`;
    log(`${server.label} ${size.label}: pg_restore -j ${input.cores}`);
    run.restoreMs = await pgRestore(server, target, dumpFile, input.cores);
    log(`${server.label} ${size.label}: restored in ${fmtMs(run.restoreMs)}`);
    await dropDatabase(server.url, target);
  }
  const stateDir = join(input.dir, `vers-db-state-${short}`);
  const keepThin = !server.clientBin && Boolean(input.thin) && size.label === idealSize();
  for (const strategy of server.clientBin ? STRATEGIES_15 : STRATEGIES_18) {
    const t: StrategyTiming = {
      strategy,
      createMs: [],
      endToEndMs: [],
      checkpointMs: Number.NaN,
      recorded: '',
      error: null,
      rawSql: false,
    };
    run.strategies.push(t);
    const ctx = benchContext(server, source, stateDir, strategy);
    try {
      log(`${server.label} ${size.label}: checkpoint + ${size.branchReps} branches with ${strategy}`);
      await timeBranches(ctx, `p1-${short}-${strategy.toLowerCase().replace(/_/g, '')}`, size.branchReps, t);
      log(`${server.label} ${size.label}: ${strategy} branch median ${fmtMs(median(t.endToEndMs))}`);
    } catch (err) {
      t.error = (err as Error).message;
      log(`${server.label} ${size.label}: ${strategy} failed in vers-db: ${t.error}`);
    } finally {
      await ctx.close();
    }
    if (t.error && strategy !== 'clone') {
      const raw: StrategyTiming = { ...t, createMs: [], endToEndMs: [], error: null, rawSql: true };
      await timeRawCopies(server, source, strategy, size.branchReps, raw);
      run.strategies.push(raw);
    }
  }
  if (!server.clientBin && input.thin) {
    const tr = await thinRows(
      server,
      input.thin,
      source,
      size.label,
      size.branchReps,
      stateDir,
      timeBranches,
    );
    run.strategies.push(...tr.timings);
    run.thinMoveMs = tr.moveMs;
    // The later parts run on the machine's own filesystem, except part 5 (the 1 GB source, kept thin).
    if (keep && !keepThin) await moveDatabase(server.url, source, 'pg_default');
  }
  if (!keep && !keepThin) {
    await dropDatabase(server.url, source);
    return { run, kept: null };
  }
  const counts = await withClient(
    inDatabase(server.url, source),
    async (c) =>
      (
        await c.query<{ u: number; o: number }>(
          'SELECT (SELECT count(*) FROM users)::int AS u, (SELECT count(*) FROM orders)::int AS o',
        )
      ).rows[0]!,
  );
  return {
    run,
    kept: { database: source, users: counts.u, orders: counts.o, bytes, dumpFile, loadMs: reset.ms },
  };
}

function strategyLabel(t: StrategyTiming, reflinks: boolean): string {
  if (t.strategy.startsWith('thin')) return thinLabel(t.strategy);
  if (t.rawSql)
    return `plain \`CREATE DATABASE … TEMPLATE … STRATEGY ${t.strategy}\` (vers-db failed here, row above)`;
  if (t.strategy === 'clone') {
    return `vers-db branch, FILE_COPY + file_copy_method=clone (${reflinks ? 'reflinks' : 'copy_file_range: a full copy, no reflinks on this filesystem'})`;
  }
  return `vers-db branch, ${t.strategy}`;
}

export async function freshCopy(
  input: FreshCopyInput,
  reflinks: boolean,
): Promise<{ part: PartResult; kept18: KeptData; kept15: KeptData | null; keptThin: KeptData | null }> {
  const runs: ServerRun[] = [];
  let kept18: KeptData | null = null;
  let keptThin: KeptData | null = null;
  let kept15: KeptData | null = null;
  for (const [i, size] of input.sizes.entries()) {
    const keep = i === 0;
    const a = await runOnServer(input, input.pg18, size, keep);
    runs.push(a.run);
    if (a.kept && keep) kept18 = a.kept;
    if (a.kept && input.thin && size.label === idealSize()) keptThin = a.kept;
    if (input.pg15) {
      const b = await runOnServer(input, input.pg15, size, keep);
      runs.push(b.run);
      if (b.kept) kept15 = b.kept;
    }
  }
  const hasLarge = input.sizes.some((s) => s.targetBytes >= 1024 ** 3);
  const notes = [
    '"time to a writable copy" is measured by the bench around `backend.branch()` plus the first connection and a `CREATE TABLE` in the copy; "CREATE DATABASE only" is the `durationMs` the backend records. Dropping the previous copy is in no row.',
    'After the reset loop, and outside its time, the bench runs VACUUM (ANALYZE) on the source: otherwise an autovacuum worker on a freshly loaded 1 GB source can make the checkpoint fail with "being accessed by other users" (seen in a run: user null, no application_name) — vers-db\'s local backend neither waits for nor skips autovacuum workers yet.',
    `pg_restore and the reset loop run once per size; branch times are the median of n. The reset loop uses the same generator that produced the data, so it is the cost of rebuilding the database from scratch.`,
    `The embedded server is PostgreSQL 18, and the only pg_dump/pg_restore on this machine are Debian's 15, which refuse a newer server; so the pg_restore rows run on a PostgreSQL 15 cluster the bench starts, and the PG18 rows are compared with the PG18 reset loop (and, across servers, with the PG15 pg_restore at the same size).`,
    reflinks
      ? 'The data directory supports reflinks: FILE_COPY + clone shares blocks instead of copying them.'
      : 'The data directory is on a filesystem without reflinks: PG18 `file_copy_method=clone` calls copy_file_range, which the kernel serves with an in-kernel full copy here. It is reported because the backend can use it, but it is not copy-on-write on this machine.',
  ];
  if (input.pg15Missing) notes.push(`No PostgreSQL 15 rows: ${input.pg15Missing}.`);
  if (input.thin) {
    notes.push(
      'Thin rows: the bench makes the same loopback XFS volume as `vers-db up --thin` (sparse image, `mkfs.xfs -m reflink=1`, `mount -o loop`) and gives it to the PG18 server as a tablespace; the source is moved there, then checkpointed and branched with FILE_COPY + file_copy_method=clone inside it. "fsync off" is the server setting `vers-db up --no-fsync` makes (a PostgreSQL crash stays safe, an OS crash does not).',
      ...runs.flatMap((r) =>
        r.strategies
          .filter((t) => t.strategy.startsWith('thin') && t.volumeGrowth !== undefined)
          .map(
            (t) =>
              `Blocks shared at ${fmtBytes(r.bytes)}, ${t.strategy}: the volume grew by ${fmtBytes(Math.max(0, t.volumeGrowth!))} for the checkpoint and ${t.endToEndMs.length} branches (a copy would be ${fmtBytes(r.bytes * (t.endToEndMs.length + 1))}).`,
          ),
      ),
    );
  } else if (input.thinMissing) notes.push(`No thin rows: ${input.thinMissing}.`);
  for (const r of runs.filter((x) => !x.server.clientBin && x.bytes > 0)) {
    const twin = runs.find((x) => x.server.clientBin && x.size === r.size && x.restoreMs !== null);
    const best = bestBranch(r);
    if (twin && best) {
      notes.push(
        `Across servers at ${fmtBytes(r.bytes)}: the fastest PG18 branch (${best.strategy}, ${fmtMs(best.ms)}) is ${ratio(twin.restoreMs!, best.ms)} faster than pg_restore on PG15 (${fmtMs(twin.restoreMs!)}).`,
      );
    }
  }
  return {
    part: {
      section: {
        title: '1. A fresh writable copy of a loaded database',
        intro: [
          'What a test waits for before it can run: a copy of the loaded database it may change. vers-db makes it with',
          '`CREATE DATABASE … TEMPLATE <checkpoint>` (one row per clone strategy the server offers); the alternatives are',
          "pg_restore of a dump, or the use-case's reset loop that rebuilds the database from the schema and the generator.",
        ],
        tables: buildTables(runs, input.cores, (t) => strategyLabel(t, reflinks)),
        notes,
      },
      targets: [
        branchTarget(runs, hasLarge),
        ...thinTargets(runs, input.thin ? null : (input.thinMissing ?? 'no thin volume in this run')),
      ],
    },
    kept18: kept18!,
    kept15,
    keptThin,
  };
}
