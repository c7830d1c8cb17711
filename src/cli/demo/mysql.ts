/**
 * `vers-db demo --engine mysql`: the use case on MySQL/MariaDB, through the same core path as the
 * PostgreSQL demo. On the tool-owned MariaDB source (`vers-db up --engine mysql`, or started on
 * demand) it loads examples/mysql/ into its own database, checkpoints the server (clean shutdown,
 * copy, restart), tests strategies A, B and C and the same ADD COLUMN with ALGORITHM=COPY and
 * ALGORITHM=INSTANT forced, each on its own branch server, and prints the measured comparison.
 * `--long-reader` keeps a transaction that read the tables open as each migration starts: even
 * the INSTANT ALTER then waits for its metadata lock, and the application's statements queue.
 */

import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { withSource } from '../../backends/with-branch.js';
import type { Context } from '../../core/context.js';
import { createCheckpoint, deleteCheckpoint, testStrategies } from '../../core/index.js';
import { assertMayReplace, DEMO_BRANCH_CREATOR, DEMO_CREATOR } from '../../core/ownership.js';
import { settingsOf } from '../../engines/mysql/local-connection.js';
import { InvalidInputError } from '../../errors.js';
import { formatMs } from '../../report/format.js';
import type { Comparison } from '../../result.js';
import { stderrProgress } from '../output.js';
import { loadMysqlExample, MAX_MYSQL_ROWS, MYSQL_STRATEGIES, mysqlExamplesDir } from './mysql-example.js';
import { assertMysqlDemoDatabaseIsOurs, recordMysqlDemoDatabase } from './mysql-owner.js';
import { type DemoOptions, examplesDir, firstResultProgress, printDemo } from './shared.js';

/** Its own name: the registry records the PostgreSQL demo's `vers_db_demo` under that name. */
export const MYSQL_DEMO_DATABASE = 'vers_db_demo_mysql';

/** What the long reader did to each strategy: how long its first statement and the application waited. */
function longReaderNotes(comparison: Comparison, holdMs: number): string[] {
  const lines = [
    `Long reader: a transaction that had read users and orders stayed open ${formatMs(holdMs)} as each migration started.`,
  ];
  for (const r of comparison.results) {
    const longest = r.statements.reduce<(typeof r.statements)[number] | null>(
      (a, s) => (a === null || s.duration_ms > a.duration_ms ? s : a),
      null,
    );
    const w = r.blocking.writes;
    const cause = w.cause?.kind ? ` (${w.cause.kind.replace('_', ' ')})` : '';
    lines.push(
      `  ${r.name}: its longest statement (${longest ? `${longest.index}, ${formatMs(longest.duration_ms)}` : '—'}) includes the wait; application writes waited up to ${formatMs(w.max_wait_ms)}${cause}, reads up to ${formatMs(r.blocking.reads.max_wait_ms)}.`,
    );
  }
  return lines;
}

export async function runMysqlDemo(ctx: Context, o: DemoOptions): Promise<number> {
  if (o.rows > MAX_MYSQL_ROWS)
    throw new InvalidInputError(`--rows is at most ${MAX_MYSQL_ROWS.toLocaleString('en-US')}`);
  if (ctx.backendKind !== 'local')
    throw new InvalidInputError('the MySQL demo runs on the local backend (the tool-owned MariaDB server)');
  const progress = stderrProgress();
  const examples = examplesDir();
  const backend = await ctx.backend();
  const settings = await withSource(backend, async (s) => {
    const { database: _source, ...server } = settingsOf(s);
    return server;
  });
  const database = MYSQL_DEMO_DATABASE;
  const tag = `demo-mysql-baseline-${o.rows}`;

  // The demo rebuilds its database and checkpoint each run, but only those it made itself.
  await assertMayReplace(ctx, tag, DEMO_CREATOR, DEMO_BRANCH_CREATOR, 'the demo needs that tag');
  await assertMysqlDemoDatabaseIsOurs(ctx, settings, database);
  if (await ctx.registry.checkpoint(tag)) await deleteCheckpoint(ctx, tag, true);
  progress({
    message: `loading ${o.rows.toLocaleString('en-US')} users and ${(o.rows * 2).toLocaleString('en-US')} orders into ${database} (MySQL/MariaDB)`,
  });
  const start = performance.now();
  await backend.sourceDatabase(database).reset();
  await recordMysqlDemoDatabase(ctx, settings, database, { loading: true }); // ours even if loading is interrupted
  await loadMysqlExample(settings, examples, database, o.rows, { create: false });
  await recordMysqlDemoDatabase(ctx, settings, database);
  const loadMs = performance.now() - start;
  progress({ message: `loaded in ${formatMs(loadMs)}` });

  const ckpt = await createCheckpoint(ctx, {
    tag,
    database,
    includeStats: true,
    signal: o.signal,
    onProgress: progress,
    createdBy: DEMO_CREATOR,
  });
  progress({ message: `checkpoint ${tag}: ${ckpt.strategy} in ${formatMs(ckpt.duration_ms)}` });

  const dir = mysqlExamplesDir(examples);
  const first = firstResultProgress(progress, start);
  const comparison = await testStrategies(ctx, {
    baseline: tag,
    migrations: MYSQL_STRATEGIES.map((s) => ({ migration: join(dir, s.file), name: s.name })),
    longReaderMs: o.longReader,
    signal: o.signal,
    onProgress: first.onProgress,
    createdBy: DEMO_BRANCH_CREATOR,
  });
  await printDemo(
    comparison,
    o,
    {
      rows: o.rows,
      loadMs,
      tag,
      checkpoint: ckpt,
      firstResultMs: first.firstResultMs(),
      start,
      notes: [
        'Each branch is its own mariadbd on a copy of the checkpoint; the application is simulated by the probes (keyed reads and rolled-back writes).',
        ...(o.longReader ? longReaderNotes(comparison, o.longReader) : []),
      ],
    },
    ctx.log,
  );
  return 0;
}
