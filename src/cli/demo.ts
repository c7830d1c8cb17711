/**
 * `vers-db demo`: the use-case end to end on the server the local backend uses (the embedded
 * default unless DATABASE_URL says otherwise). Loads examples/schema/v1.sql and generated data
 * into its own database `vers_db_demo`, checkpoints it, tests strategies A, B and C on branches,
 * and prints the measured comparison with a recommendation. With `--engine mysql` the MySQL demo
 * (demo/mysql.ts) runs instead; what both share is in demo/shared.ts.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { adminConfigFor, databaseExists } from '../backends/pg-admin.js';
import { withSource } from '../backends/with-branch.js';
import type { Context } from '../core/context.js';
import { createCheckpoint, deleteCheckpoint, testStrategies } from '../core/index.js';
import { addedObjects, databaseInventory } from '../core/inventory.js';
import { assertMayReplace, DEMO_BRANCH_CREATOR, DEMO_CREATOR, recordDatabase } from '../core/ownership.js';
import { ConflictError, InvalidInputError } from '../errors.js';
import { formatMs } from '../report/format.js';
import { type ClientConfig, withClient, withDatabase, withTransaction } from '../util/pg.js';
import { type DemoOptions, examplesDir, firstResultProgress, printDemo, shortPath } from './demo/shared.js';
import { stderrProgress } from './output.js';

export { type DemoOptions, examplesDir } from './demo/shared.js';

export const DEMO_DATABASE = 'vers_db_demo';
const MAX_ROWS = 20_000_000;
/**
 * The generated rows reference each other by construction, so a superuser loads them the way
 * `pg_restore --disable-triggers` does: without a foreign-key check per order row (a third of the load).
 */
const SKIP_TRIGGERS_SQL = `SELECT set_config('session_replication_role', 'replica', true)
  WHERE (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)`;

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
  const first = firstResultProgress(progress, start);
  const comparison = await testStrategies(ctx, {
    baseline: tag,
    migrations,
    // The shop keeps signing up customers while each strategy runs: a swap that loses them is rejected.
    workload:
      o.workload === false ? undefined : { file: shortPath(join(examples, 'workload', 'app.sql'), ctx.cwd) },
    longReaderMs: o.longReader,
    signal: o.signal,
    onProgress: first.onProgress,
    createdBy: DEMO_BRANCH_CREATOR,
  });
  await printDemo(
    comparison,
    o,
    { rows: o.rows, loadMs, tag, checkpoint: ckpt, firstResultMs: first.firstResultMs(), start },
    ctx.log,
  );
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
