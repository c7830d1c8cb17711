/**
 * measureMigration: snapshot the branch, start the lock sampler and the probes, run the
 * migration (SQL file or shell command), stop everything, snapshot again, and put every
 * measured number into a StrategyResult.
 */
import type pg from 'pg';
import type { ExecOptions, ExecResult } from '../backends/backend.js';
import { CancelledError, InvalidInputError, throwIfAborted } from '../errors.js';
import type { StrategyResult } from '../result.js';
import { type Clock, createClock, round1 } from './clock.js';
import {
  APP_MIGRATION,
  APP_SAMPLER,
  APP_SNAPSHOT,
  Connections,
  pidOf,
  waitForBackendExit,
} from './connections.js';
import { integrityVerdict } from './integrity.js';
import { lockEvents, lockIntervals, locksHeld } from './locks.js';
import { startLongReader } from './long-reader.js';
import { emptyProbeStats, type ProbeResults, ProbeSet, type ProbeTarget } from './probes.js';
import { type ProgressFn, type RunOutcome, runCommand, runStatements, statementError } from './runner.js';
import { LockSampler, type SamplerData } from './sampler.js';
import { diffSchemas } from './schema.js';
import { type DatabaseSnapshot, snapshotDatabase, walBytesBetween } from './snapshot.js';
import { loadParser, type SqlStatement, splitStatements } from './split.js';

export type MigrationSource =
  | { kind: 'sql'; sql: string; file?: string }
  | { kind: 'command'; command: string };

export interface MeasureOptions {
  /** Strategy name. */
  name: string;
  /** Branch name (goes into result.branch). */
  branch: string;
  /** The branch database (direct or through a tunnel). */
  connection: pg.ClientConfig;
  migration: MigrationSource;
  /** Required for kind 'command'. */
  exec?: (command: string, opts: ExecOptions) => Promise<ExecResult>;
  /** Default true; false runs the statements with timing and row counts only. */
  collectMetrics?: boolean;
  /** Default 10. */
  sampleIntervalMs?: number;
  /** Extra tables to probe ("schema.table" or "table"); every user table is probed anyway. */
  probeTables?: string[];
  /** Default 30000. */
  probeLockTimeoutMs?: number;
  /**
   * Hold ACCESS SHARE on every probed table for this long from the moment the migration starts,
   * like a slow query already running: shows how its DDL queues and makes the application queue.
   */
  longReaderMs?: number;
  /** Abort cancels the running statement, stops, and throws CancelledError. */
  signal?: AbortSignal;
  onProgress?: ProgressFn;
}

export const DEFAULT_SAMPLE_INTERVAL_MS = 10;
export const DEFAULT_PROBE_LOCK_TIMEOUT_MS = 30_000;
/** At most this many probe connections (two per table); beyond it the most relevant tables are probed. */
export const MAX_PROBE_CONNECTIONS = 40;
/** Connections left free for the application, the sampler and the snapshots. */
const CONNECTION_HEADROOM = 10;

const FREE_CONNECTIONS_SQL = `
  SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int
         - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int AS free`;
const RESOLVE_TABLE_SQL = `
  SELECT n.nspname AS schema, c.relname AS table, format('%I.%I', n.nspname, c.relname) AS name
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)`;

/** Run the migration on the branch and measure it. `validation` is left null for the caller. */
export async function measureMigration(opts: MeasureOptions): Promise<StrategyResult> {
  throwIfAborted(opts.signal);
  const { migration } = opts;
  if (migration.kind === 'command' && !opts.exec) {
    throw new InvalidInputError('a command migration needs an exec function to run it on the branch');
  }
  let statements: SqlStatement[] | null = null;
  if (migration.kind === 'sql') {
    await loadParser();
    statements = splitStatements(migration.sql, migration.file);
  }
  const collect = opts.collectMetrics ?? true;
  const connections = new Connections(opts.connection);
  let cancelling: Promise<void> | null = null;
  const onAbort = () => {
    cancelling = connections.cancelAll({ external: migration.kind === 'command' });
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let sampler: LockSampler | null = null;
  let probes: ProbeSet | null = null;
  try {
    const progress = opts.onProgress ?? (() => {});
    const control = await connections.open(APP_SNAPSHOT);
    throwIfAborted(opts.signal);
    progress({ message: 'snapshot before the migration' });
    const before = await snapshotDatabase(control, collect);
    throwIfAborted(opts.signal);

    const migrationClient = migration.kind === 'sql' ? await connections.open(APP_MIGRATION) : null;
    const migrationPid = migrationClient ? pidOf(migrationClient) : null;
    const clock = createClock();
    let targets: ProbeTarget[] = [];
    let unprobed = 0;
    if (collect) {
      sampler = new LockSampler(
        await connections.open(APP_SAMPLER),
        clock,
        migrationPid,
        opts.sampleIntervalMs ?? DEFAULT_SAMPLE_INTERVAL_MS,
      );
      await sampler.start();
      ({ targets, unprobed } = await chooseProbeTargets(control, before, statements, opts.probeTables ?? []));
      progress({ message: `probing reads and writes of ${targets.length} table(s)` });
      probes = await ProbeSet.start(
        opts.connection,
        clock,
        targets,
        opts.probeLockTimeoutMs ?? DEFAULT_PROBE_LOCK_TIMEOUT_MS,
        (c) => connections.adopt(c),
      );
    }
    throwIfAborted(opts.signal);

    const longReader =
      opts.longReaderMs && opts.longReaderMs > 0
        ? await startLongReader(connections, targets.length ? targets : before.tables, opts.longReaderMs)
        : null;
    if (longReader) progress({ message: `a long reader holds the tables for ${opts.longReaderMs} ms` });
    clock.origin = clock.now();
    const runOptions = { ...(opts.signal ? { signal: opts.signal } : {}), onProgress: progress };
    const outcome: RunOutcome =
      migration.kind === 'sql'
        ? await runStatements(migrationClient!, statements!, clock, runOptions)
        : await runCommand(opts.exec!, migration.command, clock, runOptions);
    throwIfAborted(opts.signal);
    const runEnd = clock.now();
    await longReader?.finished;

    const samplerData = sampler ? await sampler.stop() : null;
    sampler = null;
    await probes?.stop(control);
    const probeResults = probes?.results() ?? null;
    probes = null;
    if (migrationClient) {
      await connections.close(migrationClient);
      await waitForBackendExit(control, migrationPid!);
    }
    throwIfAborted(opts.signal);
    progress({ message: 'snapshot after the migration' });
    const after = await snapshotDatabase(control, collect);
    const walBytes = collect ? await walBytesBetween(control, before.walLsn, after.walLsn) : null;
    throwIfAborted(opts.signal);

    return buildResult({
      opts,
      statements,
      outcome,
      before,
      after,
      clock,
      runEnd,
      samplerData,
      probeResults,
      walBytes,
      probedTables: targets.length,
      unprobed,
    });
  } catch (err) {
    if (opts.signal?.aborted) throw new CancelledError();
    throw err;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    // The cancel must reach the server before the sockets close, or a backend keeps running the statement.
    await (cancelling as Promise<void> | null);
    if (sampler) await sampler.stop().catch(() => undefined);
    if (probes) await probes.stop(null).catch(() => undefined);
    await connections.closeAll();
  }
}

/**
 * Every user table, as many as the server's free connections allow (two per table): the tables
 * the caller named first, then those the migration names, then the biggest.
 */
async function chooseProbeTargets(
  control: pg.Client,
  before: DatabaseSnapshot,
  statements: readonly SqlStatement[] | null,
  extra: readonly string[],
): Promise<{ targets: ProbeTarget[]; unprobed: number }> {
  const free = Number((await control.query<{ free: number }>(FREE_CONNECTIONS_SQL)).rows[0]?.free ?? 0);
  const maxTables = Math.max(0, Math.floor(Math.min(MAX_PROBE_CONNECTIONS, free - CONNECTION_HEADROOM) / 2));
  const named: ProbeTarget[] = [];
  for (const name of extra) named.push(await resolveProbeTable(control, name));
  const mentioned = new Set(statements?.flatMap((s) => s.relations) ?? []);
  const tables = [...before.tables]
    .sort(
      (a, b) =>
        Number(mentioned.has(b.table)) - Number(mentioned.has(a.table)) || b.totalBytes - a.totalBytes,
    )
    .map((t) => ({ relation: t.name, schema: t.schema, table: t.table }));
  const all: ProbeTarget[] = [];
  for (const t of [...named, ...tables]) if (!all.some((x) => x.relation === t.relation)) all.push(t);
  return { targets: all.slice(0, maxTables), unprobed: Math.max(0, all.length - maxTables) };
}

/** "schema.table" or "table": the catalog's spelling if it exists now, else taken as written. */
async function resolveProbeTable(control: pg.Client, name: string): Promise<ProbeTarget> {
  const trimmed = name.trim();
  if (!trimmed) throw new InvalidInputError('probeTables contains an empty table name');
  const found = await control
    .query<{ schema: string; table: string; name: string }>(RESOLVE_TABLE_SQL, [trimmed])
    .then((r) => r.rows[0])
    .catch(() => undefined);
  if (found) return { relation: found.name, schema: found.schema, table: found.table };
  const dot = trimmed.indexOf('.');
  const schema = dot > 0 ? trimmed.slice(0, dot) : 'public';
  const table = dot > 0 ? trimmed.slice(dot + 1) : trimmed;
  return { relation: `${schema}.${table}`, schema, table };
}

function statementsBetweenSamples(
  outcome: RunOutcome,
  samples: SamplerData['samples'],
  statements: readonly SqlStatement[] | null,
): number {
  const control = new Set(statements?.filter((s) => s.transactionControl).map((s) => s.index) ?? []);
  return outcome.timings.filter(
    (t) => !control.has(t.index) && !samples.some((s) => s.send >= t.start && s.recv <= t.end),
  ).length;
}

interface ResultInput {
  opts: MeasureOptions;
  statements: SqlStatement[] | null;
  outcome: RunOutcome;
  before: DatabaseSnapshot;
  after: DatabaseSnapshot;
  clock: Clock;
  runEnd: number;
  samplerData: SamplerData | null;
  probeResults: ProbeResults | null;
  walBytes: number | null;
  probedTables: number;
  unprobed: number;
}

function buildResult(r: ResultInput): StrategyResult {
  const { outcome, before, after, clock } = r;
  const failure = outcome.failure;
  const first = outcome.timings[0];
  const last = outcome.timings.at(-1);
  const intervals = r.samplerData
    ? lockIntervals(r.samplerData, outcome.timings, r.statements, r.runEnd)
    : [];
  const afterByOid = new Map(after.tables.map((t) => [t.oid, t]));
  const rewrites = before.tables
    .filter((t) => {
      const now = afterByOid.get(t.oid);
      return now !== undefined && t.relfilenode !== 0 && now.relfilenode !== t.relfilenode;
    })
    .map((t) => t.name);
  const beforeByName = new Map(before.tables.map((t) => [t.name, t]));
  const afterByName = new Map(after.tables.map((t) => [t.name, t]));
  const bloatNames = [
    ...new Set([...before.tables.map((t) => t.name), ...after.tables.map((t) => t.name)]),
  ].sort();
  const samples = r.samplerData?.samples ?? [];
  const result: StrategyResult = {
    name: r.opts.name,
    branch: r.opts.branch,
    status: failure ? 'failed' : 'passed',
    error: failure ? (r.opts.migration.kind === 'sql' ? statementError(failure) : failure.message) : null,
    failed_statement: failure?.index ?? null,
    duration_ms: first && last ? round1(last.end - first.start) : 0,
    statements: outcome.results,
    locks: locksHeld(intervals, clock),
    blocking: r.probeResults?.blocking ?? { reads: emptyProbeStats(), writes: emptyProbeStats(), tables: {} },
    rewrites,
    bloat: {
      tables:
        r.opts.collectMetrics === false
          ? []
          : bloatNames.map((name) => {
              const b = beforeByName.get(name);
              const a = afterByName.get(name);
              return {
                relation: name,
                size_before: b?.totalBytes ?? 0,
                size_after: a?.totalBytes ?? 0,
                dead_tuples: a?.deadTuples ?? 0,
                dead_pct: round1(a?.deadPct ?? 0),
              };
            }),
    },
    integrity: integrityVerdict({
      before,
      after,
      failedStatement: failure?.index ?? null,
      leftTransactionOpen: outcome.leftTransactionOpen,
    }),
    validation: null,
    wal_bytes: r.walBytes,
    metrics: {
      samples: samples.length,
      sample_interval_ms:
        samples.length > 1 ? round1((samples.at(-1)!.send - samples[0]!.send) / (samples.length - 1)) : null,
      // Statements so short no sample fell inside them: a lock they took and released may be missing.
      statements_between_samples: r.samplerData
        ? statementsBetweenSamples(outcome, samples, r.statements)
        : null,
      probed_tables: r.probedTables,
      tables_not_probed: r.unprobed,
      dead_tuples_from_pgstattuple: r.samplerData
        ? Number(after.deadTupleSource === 'pgstattuple_approx')
        : null,
      ...(r.opts.longReaderMs ? { long_reader_ms: r.opts.longReaderMs } : {}),
    },
  };
  if (before.schema && after.schema) result.schema_changes = diffSchemas(before.schema, after.schema);
  if (r.samplerData || r.probeResults) {
    result.timeline = { locks: lockEvents(intervals, clock), waits: r.probeResults?.waits ?? [] };
  }
  return result;
}
