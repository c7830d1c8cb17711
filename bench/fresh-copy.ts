/**
 * Part 1 — a fresh writable copy of a loaded database: vers-db branch from a checkpoint (each
 * clone strategy the server offers) vs. pg_restore of a pg_dump -Fc vs. the use-case's reset loop
 * (drop, create, load the schema, generate the data again).
 */
import { join } from 'node:path';
import { execa } from 'execa';
import type { Context } from '../src/core/context.js';
import { quoteIdent, withClient } from '../src/util/pg.js';
import {
  admin,
  createDatabase,
  databaseSize,
  dropDatabase,
  inDatabase,
  loadSeed,
  vacuum,
} from './lib/data.js';
import { log } from './lib/log.js';
import type { PartResult, Table, Target } from './lib/report.js';
import type { BenchServer } from './lib/servers.js';
import { moveDatabase, type ThinSpace } from './lib/thin.js';
import { fmtBytes, fmtMs, median, ratio, timed } from './lib/timing.js';
import { benchContext } from './lib/vers.js';
import { thinLabel, thinRows, thinTargets } from './thin-copy.js';

/** The size part 5 (against the ideal tool) runs at: BENCH_IDEAL_SIZE, else 1GB. */
const idealSize = () => process.env.BENCH_IDEAL_SIZE ?? '1GB';

export interface SizeCase {
  label: string;
  targetBytes: number;
  /** How many branches per strategy (the median is reported). */
  branchReps: number;
}

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

interface StrategyTiming {
  strategy: string;
  /** What the backend recorded (CREATE DATABASE … TEMPLATE only), per branch. */
  createMs: number[];
  /** branch() call + first connection + a write: what a test waits for. */
  endToEndMs: number[];
  checkpointMs: number;
  recorded: string;
  error: string | null;
  /** Set when vers-db failed and the same copy was timed with plain SQL instead. */
  rawSql: boolean;
  /** Thin rows: bytes the XFS volume grew by across the checkpoint and branches. */
  volumeGrowth?: number;
}

interface ServerRun {
  server: BenchServer;
  size: SizeCase;
  users: number;
  bytes: number;
  resetLoopMs: number;
  dumpMs: number | null;
  restoreMs: number | null;
  strategies: StrategyTiming[];
  /** ALTER DATABASE … SET TABLESPACE onto the XFS volume (one-time, before the thin rows). */
  thinMoveMs?: number;
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

const GB = 1024 ** 3;
const STRATEGIES_18 = ['WAL_LOG', 'FILE_COPY', 'clone'];
const STRATEGIES_15 = ['WAL_LOG', 'FILE_COPY'];
const WRITABLE_SQL = 'CREATE TABLE bench_writable (x int); DROP TABLE bench_writable';

function pgArgs(server: BenchServer): string[] {
  const u = new URL(server.url);
  return ['-h', u.hostname, '-p', u.port, '-U', decodeURIComponent(u.username)];
}

export async function pgDump(server: BenchServer, database: string, file: string): Promise<number> {
  const { ms } = await timed(() =>
    execa(join(server.clientBin!, 'pg_dump'), [...pgArgs(server), '-Fc', '-f', file, database], {
      env: { PGPASSWORD: '' },
    }),
  );
  return ms;
}

/** Create the database and pg_restore the dump into it with one job per core (the fastest plain reload). */
export async function pgRestore(
  server: BenchServer,
  database: string,
  file: string,
  jobs: number,
): Promise<number> {
  const { ms } = await timed(async () => {
    await createDatabase(server.url, database);
    await execa(join(server.clientBin!, 'pg_restore'), [
      ...pgArgs(server),
      '-j',
      String(jobs),
      '--no-owner',
      '-d',
      database,
      file,
    ]);
  });
  return ms;
}

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

function buildTables(runs: ServerRun[], reflinks: boolean, cores: number): Table[] {
  const head = [
    'size',
    'server',
    'how',
    'time to a writable copy',
    'CREATE DATABASE only',
    'n',
    'vs pg_restore (same server)',
    'vs reset loop (same server)',
  ];
  const rows: string[][] = [];
  for (const r of runs) {
    const size = `${fmtBytes(r.bytes)} (${r.users.toLocaleString('en-US')} users)`;
    for (const t of r.strategies) {
      const e2e = median(t.endToEndMs);
      rows.push([
        size,
        r.server.label,
        strategyLabel(t, reflinks),
        t.error ? `failed: ${t.error}` : fmtMs(e2e),
        t.error ? '—' : fmtMs(median(t.createMs)),
        String(t.endToEndMs.length),
        r.restoreMs === null ? 'n/a (no pg_dump for this server)' : ratio(r.restoreMs, e2e),
        ratio(r.resetLoopMs, e2e),
      ]);
    }
    if (r.restoreMs !== null) {
      rows.push([
        size,
        r.server.label,
        `pg_restore -j ${cores} of a pg_dump -Fc (create + restore)`,
        fmtMs(r.restoreMs),
        '—',
        '1',
        '1.0×',
        ratio(r.resetLoopMs, r.restoreMs),
      ]);
    }
    rows.push([
      size,
      r.server.label,
      'reset loop: drop + create + schema + generate',
      fmtMs(r.resetLoopMs),
      '—',
      '1',
      r.restoreMs === null ? '—' : ratio(r.restoreMs, r.resetLoopMs),
      '1.0×',
    ]);
  }
  const once: string[][] = runs.flatMap((r) => [
    ...r.strategies
      .filter((t) => !t.error)
      .map((t) => [
        fmtBytes(r.bytes),
        r.server.label,
        t.rawSql ? `template copy (${t.recorded})` : `vers-db checkpoint (${t.recorded})`,
        fmtMs(t.checkpointMs),
      ]),
    ...(r.dumpMs !== null ? [[fmtBytes(r.bytes), r.server.label, 'pg_dump -Fc', fmtMs(r.dumpMs)]] : []),
    ...(r.thinMoveMs !== undefined
      ? [
          [
            fmtBytes(r.bytes),
            r.server.label,
            'move the source onto the XFS volume (ALTER DATABASE … SET TABLESPACE)',
            fmtMs(r.thinMoveMs),
          ],
        ]
      : []),
  ]);
  return [
    { head, rows },
    { head: ['size', 'server', 'one-time cost (not in the table above)', 'time'], rows: once },
  ];
}

function bestBranch(r: ServerRun): { strategy: string; ms: number } | null {
  const ok = r.strategies.filter((t) => !t.error && !t.rawSql && t.endToEndMs.length > 0);
  if (ok.length === 0) return null;
  const best = ok.reduce((a, b) => (median(a.endToEndMs) <= median(b.endToEndMs) ? a : b));
  return { strategy: best.strategy, ms: median(best.endToEndMs) };
}

function branchTarget(runs: ServerRun[], hasLarge: boolean): Target {
  const name = 'branch vs reload at 1 GB';
  const goal = '≥ 10× faster than pg_restore';
  const withRestore = runs.filter((r) => r.restoreMs !== null);
  // The size nearest 1 GB (BENCH_LARGE adds bigger ones, reported in the table).
  const big = [...withRestore].sort(
    (a, b) => Math.abs(Math.log(a.bytes / GB)) - Math.abs(Math.log(b.bytes / GB)),
  )[0];
  if (!big) {
    return {
      name,
      target: goal,
      measured: '—',
      met: null,
      why: 'no pg_restore row: the PostgreSQL 15 server was not available',
    };
  }
  const best = bestBranch(big);
  if (!best) return { name, target: goal, measured: '—', met: null, why: 'every branch strategy failed' };
  const restore = big.restoreMs!;
  const x = restore / best.ms;
  const raw = big.strategies.filter((t) => t.rawSql && !t.error && t.endToEndMs.length > 0);
  const failed = big.strategies.filter((t) => !t.rawSql && t.error);
  const rawNote = raw
    .map(
      (t) =>
        ` Plain CREATE DATABASE … STRATEGY ${t.strategy}, which vers-db failed to use here (${failed.map((f) => f.strategy).join(', ')}: see the table), reaches ${(restore / median(t.endToEndMs)).toFixed(1)}×.`,
    )
    .join('');
  const sizeNote = hasLarge
    ? ''
    : ` Measured at ${fmtBytes(big.bytes)} only (quick mode); run the full bench for 1 GB.`;
  return {
    name,
    target: goal,
    measured: `${x.toFixed(1)}× (${best.strategy} ${fmtMs(best.ms)} vs pg_restore -j ${fmtMs(restore)}, ${fmtBytes(big.bytes)} on ${big.server.label})`,
    met: hasLarge ? x >= 10 : null,
    why:
      (x >= 10
        ? 'A template copy moves files (or blocks) once; pg_restore re-inserts every row and rebuilds every index and constraint.'
        : 'Without reflinks every strategy still copies every byte (WAL_LOG through shared buffers and WAL; FILE_COPY file by file, with two checkpoints), so a copy is bound by disk bandwidth, while pg_restore of this small schema (4 indexes, parallel jobs) is fast. A filesystem with reflinks (XFS, Btrfs, ZFS) makes FILE_COPY + clone near-constant time (~0.2 s for 6 GB per boringsql) and would meet it; so would larger databases with more indexes, where restore grows faster than a copy.') +
      rawNote +
      sizeNote,
  };
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
        tables: buildTables(runs, reflinks, input.cores),
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
