/**
 * `vers-db demo`: the use-case end to end on the server the local backend uses (the embedded
 * default unless DATABASE_URL says otherwise). Loads examples/schema/v1.sql and generated data
 * into its own database `vers_db_demo`, checkpoints it, tests strategies A, B and C on branches,
 * and prints the measured comparison with a recommendation.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { adminConfigFor, databaseExists } from '../backends/pg-admin.js';
import { withSource } from '../backends/with-branch.js';
import type { Context } from '../core/context.js';
import { createCheckpoint, deleteCheckpoint, testStrategies } from '../core/index.js';
import { addedObjects, databaseInventory } from '../core/inventory.js';
import { assertMayReplace, DEMO_BRANCH_CREATOR, DEMO_CREATOR, recordDatabase } from '../core/ownership.js';
import { BackendError, ConflictError, InvalidInputError } from '../errors.js';
import { formatBytes, formatMs } from '../report/format.js';
import { renderComparisonTable } from '../report/table.js';
import { type ClientConfig, withClient, withDatabase, withTransaction } from '../util/pg.js';
import { printJson, printText, stderrProgress, useColor } from './output.js';
import { writeReports } from './report-files.js';

export const DEMO_DATABASE = 'vers_db_demo';
const MAX_ROWS = 20_000_000;
/**
 * The generated rows reference each other by construction, so a superuser loads them the way
 * `pg_restore --disable-triggers` does: without a foreign-key check per order row (a third of the load).
 */
const SKIP_TRIGGERS_SQL = `SELECT set_config('session_replication_role', 'replica', true)
  WHERE (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)`;

/** The examples/ folder shipped beside dist/ (or src/ when run from source). */
export function examplesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'examples', 'migrations'))) return join(dir, 'examples');
    dir = dirname(dir);
  }
  throw new BackendError('cannot find the examples/ folder next to vers-db');
}

/** examples/workload/app.sql when run from the repository, else the full path. */
function shortPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

export interface DemoOptions {
  rows: number;
  json?: boolean;
  report?: string;
  markdown?: string;
  /** Default true: the example application (examples/workload/app.sql) runs during each strategy. */
  workload?: boolean;
  signal?: AbortSignal;
}

export async function runDemo(ctx: Context, o: DemoOptions): Promise<number> {
  if (o.rows > MAX_ROWS) throw new InvalidInputError(`--rows is at most ${MAX_ROWS.toLocaleString('en-US')}`);
  if (ctx.backendKind !== 'local')
    throw new InvalidInputError('the demo runs on the local backend (embedded default or DATABASE_URL)');
  const progress = stderrProgress();
  const examples = examplesDir();
  const backend = await ctx.backend();
  const source = await withSource(backend, async (s) => s.config);
  const admin = adminConfigFor(source);
  const demo = withDatabase(source, DEMO_DATABASE);
  const tag = `demo-baseline-${o.rows}`;

  // The demo rebuilds its database and checkpoint each run, but only those it made itself:
  // everything is checked before anything is dropped.
  await assertMayReplace(ctx, tag, DEMO_CREATOR, DEMO_BRANCH_CREATOR, 'the demo needs that tag');
  await assertDemoDatabaseIsOurs(ctx, admin, demo, DEMO_DATABASE);
  if (await ctx.registry.checkpoint(tag)) await deleteCheckpoint(ctx, tag, true);
  progress({
    message: `loading ${o.rows.toLocaleString('en-US')} users and ${(o.rows * 2).toLocaleString('en-US')} orders into ${DEMO_DATABASE}`,
  });
  const start = performance.now();
  const loadStart = start;
  await backend.sourceDatabase(DEMO_DATABASE).reset();
  await recordDatabase(ctx, demo, DEMO_CREATOR, { loading: true }); // ours even if loading is interrupted
  const schema = await readFile(join(examples, 'schema', 'v1.sql'), 'utf8');
  const seed = await readFile(join(examples, 'seeds', 'generate.sql'), 'utf8');
  await withClient(demo, async (c) => {
    await c.query(schema);
    await c.query("SELECT set_config('vers_db.rows', $1, false)", [String(o.rows)]);
    await withTransaction(c, {}, async () => {
      await c.query(SKIP_TRIGGERS_SQL);
      await c.query(seed);
    });
  });
  await recordDatabase(ctx, demo, DEMO_CREATOR);
  const loadMs = performance.now() - loadStart;
  progress({ message: `loaded in ${formatMs(loadMs)}` });

  const ckpt = await createCheckpoint(ctx, {
    tag,
    database: DEMO_DATABASE,
    includeStats: true,
    signal: o.signal,
    onProgress: progress,
    createdBy: DEMO_CREATOR,
  });
  progress({ message: `checkpoint ${tag}: ${ckpt.strategy} in ${formatMs(ckpt.duration_ms)}` });

  const migrations = ['a', 'b', 'c'].map((s) => ({
    migration: join(examples, 'migrations', `v2-strategy-${s}.sql`),
    name: { a: 'add-column-with-default', b: 'add-nullable-backfill', c: 'new-table-swap' }[s],
  }));
  let firstResultMs: number | null = null;
  const comparison = await testStrategies(ctx, {
    baseline: tag,
    migrations,
    // The shop keeps signing up customers while each strategy runs: a swap that loses them is rejected.
    workload:
      o.workload === false ? undefined : { file: shortPath(join(examples, 'workload', 'app.sql'), ctx.cwd) },
    signal: o.signal,
    onProgress: (p) => {
      // "<name>: passed in N ms" ends a strategy: the first one is when the user first sees a result.
      if (firstResultMs === null && /: (passed|failed) in \d+ ms$/.test(p.message)) {
        firstResultMs = performance.now() - start;
        progress({
          message: `${p.message} (first result ${formatMs(firstResultMs)} after the demo started)`,
        });
      } else progress(p);
    },
    createdBy: DEMO_BRANCH_CREATOR,
  });
  await writeReports(comparison, o, ctx.log);
  if (o.json) printJson(comparison);
  else {
    printText(renderComparisonTable(comparison, { color: useColor() }));
    const branchTimes = comparison.results.map((r) =>
      r.branch_ms === undefined ? '?' : formatMs(r.branch_ms),
    );
    printText(
      [
        '',
        `Data: ${o.rows.toLocaleString('en-US')} users, ${(o.rows * 2).toLocaleString('en-US')} orders (${formatBytes(ckpt.tables?.reduce((n, t) => n + t.total_bytes, 0) ?? 0)}), loaded in ${formatMs(loadMs)}.`,
        `Checkpoint ${tag}: ${formatMs(ckpt.duration_ms)} (${ckpt.strategy}); one branch each: ${branchTimes.join(', ')}.`,
        `Time to first result: ${firstResultMs === null ? '—' : formatMs(firstResultMs)}; all three: ${formatMs(performance.now() - start)}.`,
      ].join('\n'),
    );
  }
  return 0;
}

/** The demo drops its database only if this project's demo made it and nobody added to it since. */
export async function assertDemoDatabaseIsOurs(
  ctx: Context,
  admin: ClientConfig,
  demo: ClientConfig,
  name: string,
): Promise<void> {
  if (!(await databaseExists(admin, name))) return;
  const record = (await ctx.registry.read()).sources?.[name];
  const hint = `the demo rebuilds ${name} on every run: drop or rename it yourself if it is disposable, or run the demo against another server (DATABASE_URL)`;
  if (record?.createdBy !== DEMO_CREATOR) {
    throw new ConflictError(`database ${name} exists and was not made by this project's \`vers-db demo\``, {
      hint,
    });
  }
  const added = record.loading ? [] : addedObjects(record.objects, await databaseInventory(demo));
  if (added.length > 0) {
    throw new ConflictError(
      `database ${name} holds ${added.length} object(s) the demo did not create: ${added.slice(0, 5).join(', ')}`,
      { hint },
    );
  }
}
