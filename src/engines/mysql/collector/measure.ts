/**
 * Measure one migration on a MySQL/MariaDB branch and give the same Result JSON as the PostgreSQL
 * collector (src/collector/measure.ts). The mapping:
 *   - relations are keyed `<database>.<table>`;
 *   - `locks[].mode` is the metadata-lock type the migration held (SHARED_UPGRADABLE,
 *     SHARED_NO_WRITE, EXCLUSIVE, …), from performance_schema.metadata_locks or the
 *     metadata_lock_info plugin, sampled every 10 ms;
 *   - `blocking.reads` / `blocking.writes` come from the probes' measured waits (keyed SELECT,
 *     rolled-back keyed UPDATE per table, baseline subtracted), their `cause` from the sampler:
 *     a metadata lock (table_lock, or lock_queue behind the migration's pending request), an
 *     InnoDB row lock (row_lock), with the migration statement that held it;
 *   - `wal_bytes` is the InnoDB redo written meanwhile (LSN delta; the probes change no row, so
 *     their own redo is negligible);
 *   - `bloat.tables[].dead_tuples` / `dead_pct` are null: InnoDB purges old row versions itself;
 *   - `rewrites` are the tables whose InnoDB table id or tablespace changed (rebuilt, whatever
 *     ALGORITHM was asked for);
 *   - `integrity`: exact row counts of every table, CHECKSUM TABLE of tables the migration does
 *     not name;
 *   - `schema_changes`: tables, columns and indexes from information_schema, compared;
 *   - `engine: 'mysql'`;
 *   - `workload` (option `workload`, from loadMysqlWorkload): the application's statements before,
 *     during and after the migration, as on PostgreSQL; committed writes missing afterwards fail
 *     integrity. Tables the workload commits to are not checksummed (their writes are checked).
 * With `runAs` (the branch owner, sandbox.ts) the migration and the workload connect as that user;
 * snapshots, sampler and probes stay on the tool user, which can see every session.
 * Statements are split as the `mysql` client does (split.ts) and run in order on one connection;
 * a failure stops the run, is reported with its line and column, and any open transaction is
 * rolled back.
 */
import { createClock } from '../../../collector/clock.js';
import { throwIfAborted } from '../../../errors.js';
import type { StrategyResult } from '../../../result.js';
import {
  applyWorkload,
  type WorkloadResult,
  type WorkloadRun,
  type WorkloadSpec,
} from '../../../workload/index.js';
import { SESSION_TIMEOUTS_SQL } from '../admin-sql.js';
import { connectMysql, type MysqlConnection, type MysqlSettings } from '../client.js';
import { detectLockSources, lockSourceNote } from '../lock-sources.js';
import { MysqlLockSampler, type MysqlSamplerData } from '../sampler.js';
import { tableSnapshots } from '../snapshot.js';
import { splitMysql } from '../split.js';
import { committedTargets, finishMysqlWorkload, startMysqlWorkload } from '../workload/index.js';
import { causeFinder } from './causes.js';
import { bloat, integrityOf, namedTables, readFacts, redoBytes, rewrites } from './facts.js';
import { MigrationInterrupter } from './interrupt.js';
import { lockEvents, locksHeld } from './locks.js';
import { type MysqlLongReader, startMysqlLongReader } from './long-reader.js';
import { MysqlProbeSet } from './probes.js';
import { runStatements, statementResults } from './runner.js';
import { readSchema, schemaChanges } from './schema.js';
import { planProbes, unmeasuredStats } from './targets.js';

export interface MysqlMeasureConfig {
  /** The branch server's connection settings; `database` is the database the migration runs in. */
  settings: MysqlSettings & { database: string };
  /** Strategy and branch names for the result. */
  name: string;
  branch: string;
}

export interface MysqlMeasureOptions {
  /** Run the application probes (default true). */
  probes?: boolean;
  /** Longest a probe waits for a lock before it gives up (default 30 s). */
  probeTimeoutMs?: number;
  /** Lock sampling period (default 10 ms). */
  intervalMs?: number;
  /** The file's name, for messages. */
  file?: string;
  /**
   * Bound the migration's own lock waits (metadata and row locks), seconds; by default the
   * server's (a year for metadata locks: a migration behind a reader that never ends never ends).
   */
  migrationLockWaitSeconds?: number;
  /** Tables probed at most (two connections each; default MAX_PROBED_TABLES). */
  maxProbedTables?: number;
  /**
   * Run the migration's statements as this user (the branch's owner: sandbox.ts branchUsers),
   * on config.settings' server and database. Snapshots, the lock sampler and the probes stay on
   * config.settings (the tool user): they need performance_schema and the whole process list.
   */
  runAs?: { user: string; password: string };
  /** The long-reader trap: a transaction that read every table stays open this long as the migration starts. */
  longReaderMs?: number;
  /**
   * The application's own statements (from loadMysqlWorkload), run as `runAs` (else the tool
   * user) before, during and after the migration; the result gains `workload`, and committed
   * writes missing afterwards fail integrity.
   */
  workload?: WorkloadSpec;
  /** A cancelled call ends the running statement (KILL QUERY) and the run throws CancelledError. */
  signal?: AbortSignal;
  /** Longest one statement / all statements may run, ms (VERS_DB_STATEMENT_TIMEOUT / _MIGRATION_TIMEOUT). */
  statementTimeoutMs?: number;
  migrationTimeoutMs?: number;
}

export const DEFAULT_PROBE_TIMEOUT_MS = 30_000;
export const DEFAULT_INTERVAL_MS = 10;

const round1 = (x: number) => Math.round(x * 10) / 10;

async function close(c: MysqlConnection | null): Promise<void> {
  if (c) await c.end().catch(() => c.destroy());
}

export async function measureMysqlMigration(
  config: MysqlMeasureConfig,
  migrationSql: string,
  options: MysqlMeasureOptions = {},
): Promise<StrategyResult> {
  const statements = splitMysql(migrationSql, options.file);
  const database = config.settings.database;
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  const clock = createClock();
  let admin: MysqlConnection | null = null;
  let migration: MysqlConnection | null = null;
  let samplerConn: MysqlConnection | null = null;
  let probes: MysqlProbeSet | null = null;
  let sampler: MysqlLockSampler | null = null;
  let longReader: MysqlLongReader | null = null;
  let workload: WorkloadRun<MysqlConnection> | null = null;
  try {
    admin = await connectMysql(config.settings);
    const runAs = options.runAs;
    const appSettings = runAs
      ? { ...config.settings, user: runAs.user, password: runAs.password }
      : config.settings;
    migration = await connectMysql(appSettings);
    if (options.migrationLockWaitSeconds !== undefined) {
      const seconds = Math.max(1, Math.ceil(options.migrationLockWaitSeconds));
      await migration.query(SESSION_TIMEOUTS_SQL, [seconds, seconds]);
    }
    samplerConn = await connectMysql(config.settings);

    // Tables the migration names may change; the rest are checksummed before and after.
    const all = (await tableSnapshots(admin, database)).map((t) => t.relation.slice(database.length + 1));
    const named = namedTables(statements, all);
    // Tables the workload commits to change too: their writes are checked one by one instead.
    const written = options.workload ? await committedTargets(admin, database, options.workload) : new Set();
    const unnamed = new Set(all.filter((t) => !named.has(t) && !written.has(`${database}.${t}`)));
    const before = await readFacts(admin, database, unnamed);
    const schemaBefore = await readSchema(admin, database);

    const plan =
      options.probes === false
        ? null
        : await planProbes(admin, database, before.tables, named, options.maxProbedTables);
    if (options.workload) {
      workload = await startMysqlWorkload({
        settings: appSettings,
        database,
        spec: options.workload,
        clock,
        control: admin,
      });
      await workload.baselineWindow();
    }
    await workload?.pause(); // the probes' baseline runs are their own time, not the workload's
    if (plan) {
      probes = await MysqlProbeSet.start(config.settings, plan.targets, clock, {
        timeoutMs: options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS,
      });
    }
    const lockSources = await detectLockSources(samplerConn);
    sampler = new MysqlLockSampler(samplerConn, lockSources, [migration.threadId], clock, intervalMs);
    await sampler.start();
    workload?.resume();
    if (options.longReaderMs && options.longReaderMs > 0) {
      longReader = await startMysqlLongReader(config.settings, database, all, options.longReaderMs);
    }

    clock.origin = clock.now();
    probes?.beginMigration(clock.origin);
    workload?.mark('migration');
    const interrupter = new MigrationInterrupter(config.settings, migration.threadId, {
      signal: options.signal,
      statementMs: options.statementTimeoutMs,
      migrationMs: options.migrationTimeoutMs,
    });
    interrupter.start();
    const outcome = await runStatements(migration, statements, clock, interrupter).finally(() =>
      interrupter.stop(),
    );
    const end = clock.now();
    // Cancelled: nothing more is measured (the caller removes the branch).
    throwIfAborted(options.signal);
    if (outcome.failed && interrupter.reason)
      outcome.failed.error = `${interrupter.reason}: ${outcome.failed.error}`;
    workload?.mark('after');
    await longReader?.finished;

    const data: MysqlSamplerData = await sampler.stop();
    sampler = null;
    await probes?.stop();
    const causeOf = causeFinder(data, migration.threadId, outcome.ran, intervalMs);
    const blocking = probes?.blocking(causeOf) ?? {
      reads: unmeasuredStats('probes were off'),
      writes: unmeasuredStats('probes were off'),
      tables: {},
    };
    for (const [relation, reason] of plan?.unmeasured ?? []) {
      blocking.tables[relation] = { reads: unmeasuredStats(reason), writes: unmeasuredStats(reason) };
    }

    let workloadResult: WorkloadResult | null = null;
    if (workload) {
      await workload.afterWindow();
      workloadResult = await finishMysqlWorkload(workload, admin, database);
      workload = null;
    }
    const after = await readFacts(admin, database, unnamed);
    const schemaAfter = await readSchema(admin, database);
    const relative = (t: number) => clock.relative(t);
    const result: StrategyResult = {
      name: config.name,
      engine: 'mysql',
      branch: config.branch,
      status: outcome.failed ? 'failed' : 'passed',
      error: outcome.failed?.error ?? null,
      failed_statement: outcome.failed?.statement.index ?? null,
      duration_ms: round1(end - clock.origin),
      statements: statementResults(outcome.ran, relative),
      locks: locksHeld(data, outcome.ran, relative, intervalMs),
      blocking,
      rewrites: rewrites(before, after),
      bloat: { tables: bloat(before, after) },
      integrity: integrityOf(
        before,
        after,
        outcome.failed?.statement.index ?? null,
        outcome.leftTransactionOpen,
      ),
      validation: null,
      wal_bytes: redoBytes(before, after),
      schema_changes: schemaChanges(schemaBefore, schemaAfter),
      timeline: {
        locks: lockEvents(data, outcome.ran, relative, intervalMs),
        waits: probes?.timeline(relative, causeOf) ?? [],
      },
      metrics: { lock_samples: data.samples.length },
      lock_source: lockSourceNote(lockSources),
    };
    if (workloadResult) applyWorkload(result, workloadResult);
    return result;
  } finally {
    await longReader?.stop();
    if (sampler) await sampler.stop().catch(() => undefined);
    if (probes) await probes.stop().catch(() => undefined);
    if (workload) await workload.stop().catch(() => undefined);
    await close(migration);
    await close(samplerConn);
    await close(admin);
  }
}
