/**
 * measureMigration: snapshot the branch, start the lock sampler and the probes, run the
 * migration (SQL file or shell command), stop everything, snapshot again, and put every
 * measured number into a StrategyResult.
 */

import type pg from 'pg';
import type { ExecOptions, ExecResult } from '../backends/backend.js';
import { CancelledError, InvalidInputError, throwIfAborted } from '../errors.js';
import type { StrategyResult } from '../result.js';
import { DEFAULT_TIMEOUTS, type Timeouts } from '../util/timeouts.js';
import { applyWorkload, finishWorkload, WorkloadRun, type WorkloadSpec } from '../workload/index.js';
import { type Clock, createClock, round1 } from './clock.js';
import {
  APP_MIGRATION,
  APP_SAMPLER,
  APP_SNAPSHOT,
  Connections,
  pidOf,
  waitForBackendExit,
} from './connections.js';
import type { DeployRehearsal } from './deploy-options.js';
import { type RehearsalLog, runDeployRehearsal } from './deploy-rehearsal.js';
import { deployResult } from './deploy-report.js';
import { integrityVerdict } from './integrity.js';
import { lockEvents, lockIntervals, locksHeld } from './locks.js';
import { startLongReader } from './long-reader.js';
import { MAX_PROBE_CONNECTIONS, probeBudget } from './probe-budget.js';
import { type ProbePlan, planProbes } from './probe-targets.js';
import { emptyProbeStats, type ProbeFootprint, type ProbeResults, ProbeSet } from './probes.js';
import { type ProgressFn, type RunOutcome, runCommand, runStatements, statementError } from './runner.js';
import { LockSampler, type SamplerData } from './sampler.js';
import { diffSchemas } from './schema.js';
import { type DatabaseSnapshot, snapshotDatabase, walBytesBetween } from './snapshot.js';
import type { SqlStatement } from './split.js';
import { splitStatementsOffThread } from './split-offthread.js';
import { causeResolver } from './wait-causes.js';

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
  /** Relations to probe first ("schema.name" or "name"); every user relation is probed as the budget allows. */
  probeTables?: string[];
  /** Default 30000. */
  probeLockTimeoutMs?: number;
  /** Probe connections reserved for this run in the shared connection budget (default MAX_PROBE_CONNECTIONS). */
  maxProbeConnections?: number;
  /**
   * A report query already running when the migration starts: a REPEATABLE READ transaction that
   * read every probed relation (their locks and a snapshot), held this long. Shows how the DDL
   * queues behind it and makes the application queue behind the DDL.
   */
  longReaderMs?: number;
  /** Deploy rehearsal: every statement under this lock_timeout, a timed-out transaction retried (SQL only). */
  deploy?: DeployRehearsal | null;
  /** The application's own statements, run before, during and after the migration (`--workload`). */
  workload?: WorkloadSpec;
  /**
   * The branch's exact row counts before the migration, when already known: a fresh branch of a
   * checkpoint that recorded them (and whose checksums are verified after the run). Spares one
   * full scan of every table; the counts after the migration are always taken.
   */
  knownRowCounts?: Record<string, number>;
  /** Abort cancels the running statement, stops, and throws CancelledError. */
  signal?: AbortSignal;
  /** Per-statement and total limits of the migration (defaults: DEFAULT_TIMEOUTS). */
  timeouts?: Partial<Pick<Timeouts, 'statementMs' | 'migrationMs'>>;
  onProgress?: ProgressFn;
}

export const DEFAULT_SAMPLE_INTERVAL_MS = 10;
export const DEFAULT_PROBE_LOCK_TIMEOUT_MS = 30_000;
/** Run the migration on the branch and measure it. `validation` is left null for the caller. */
export async function measureMigration(opts: MeasureOptions): Promise<StrategyResult> {
  throwIfAborted(opts.signal);
  const { migration } = opts;
  if (migration.kind === 'command' && opts.deploy) {
    throw new InvalidInputError(
      'the deploy rehearsal runs SQL migrations statement by statement, not shell commands',
    );
  }
  if (migration.kind === 'command' && !opts.exec) {
    throw new InvalidInputError('a command migration needs an exec function to run it on the branch');
  }
  let statements: SqlStatement[] | null = null;
  if (migration.kind === 'sql') {
    statements = await splitStatementsOffThread(migration.sql, migration.file);
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
  let workload: WorkloadRun | null = null;
  try {
    const progress = opts.onProgress ?? (() => {});
    const control = await connections.open(APP_SNAPSHOT);
    throwIfAborted(opts.signal);
    progress({ message: 'snapshot before the migration' });
    const before = await snapshotDatabase(control, collect, opts.knownRowCounts);
    throwIfAborted(opts.signal);
    if (collect) progress({ message: 'starting the lock sampler, choosing the rows to probe' });

    // The workload's baseline window runs before our other sessions start, so its WAL is its own.
    if (opts.workload) {
      progress({
        message: `workload ${opts.workload.file}: baseline window of ${opts.workload.baselineMs} ms`,
      });
      workload = await WorkloadRun.start({
        connection: opts.connection,
        spec: opts.workload,
        clock: createClock(),
        control,
        adopt: (c) => connections.adopt(c),
      });
      await workload.baselineWindow();
    }
    const statementMs = opts.timeouts?.statementMs ?? DEFAULT_TIMEOUTS.statementMs;
    const totalMs = opts.timeouts?.migrationMs ?? DEFAULT_TIMEOUTS.migrationMs;
    const migrationClient =
      migration.kind === 'sql'
        ? await connections.open(APP_MIGRATION, {
            statement_timeout: statementMs,
            ...(opts.deploy ? { lock_timeout: opts.deploy.lockTimeoutMs } : {}),
          })
        : null;
    const migrationPid = migrationClient ? pidOf(migrationClient) : null;
    const clock = createClock();
    let plan: ProbePlan = { targets: [], unmeasured: [] };
    if (collect) {
      sampler = new LockSampler(
        await connections.open(APP_SAMPLER),
        clock,
        migrationPid,
        opts.sampleIntervalMs ?? DEFAULT_SAMPLE_INTERVAL_MS,
      );
      await sampler.start();
      plan = await planProbes(
        control,
        statements,
        opts.probeTables ?? [],
        Math.min(await probeBudget(control), opts.maxProbeConnections ?? MAX_PROBE_CONNECTIONS),
      );
      progress({ message: `probing reads and writes of ${plan.targets.length} relation(s)` });
      await workload?.pause(); // the probes measure their own WAL alone
      probes = await ProbeSet.start(
        opts.connection,
        clock,
        plan,
        opts.probeLockTimeoutMs ?? DEFAULT_PROBE_LOCK_TIMEOUT_MS,
        (c) => connections.adopt(c),
        control,
      );
      sampler.watchProbes(probes.pids);
      workload?.resume();
    }
    throwIfAborted(opts.signal);

    const longReader =
      opts.longReaderMs && opts.longReaderMs > 0
        ? await startLongReader(
            connections,
            plan.targets.length ? plan.targets : before.tables,
            opts.longReaderMs,
          )
        : null;
    if (longReader) progress({ message: `a long reader holds the tables for ${opts.longReaderMs} ms` });
    probes?.beginMigration();
    clock.origin = clock.now();
    workload?.mark('migration');
    const runOptions = {
      ...(opts.signal ? { signal: opts.signal } : {}),
      onProgress: progress,
      statementTimeoutMs: statementMs,
      totalTimeoutMs: totalMs,
      cancel: () => connections.cancelPids(migrationPid === null ? [] : [migrationPid]),
    };
    let rehearsal: RehearsalLog | null = null;
    let outcome: RunOutcome;
    if (migration.kind === 'sql' && opts.deploy) {
      ({ outcome, log: rehearsal } = await runDeployRehearsal(
        migrationClient!,
        statements!,
        clock,
        opts.deploy,
        runOptions,
      ));
    } else {
      outcome =
        migration.kind === 'sql'
          ? await runStatements(migrationClient!, statements!, clock, runOptions)
          : await runCommand(opts.exec!, migration.command, clock, runOptions);
    }
    workload?.mark('after');
    throwIfAborted(opts.signal);
    const runEnd = clock.now();
    await longReader?.finished;

    const samplerData = sampler ? await sampler.stop() : null;
    sampler = null;
    await probes?.stop(control);
    const stoppedProbes = probes;
    probes = null;
    if (migrationClient) {
      await connections.close(migrationClient);
      await waitForBackendExit(control, migrationPid!);
    }
    throwIfAborted(opts.signal);
    await workload?.afterWindow();
    const workloadResult = workload ? await finishWorkload(workload, control) : null;
    workload = null;
    progress({ message: 'snapshot after the migration' });
    const after = await snapshotDatabase(control, collect);
    const walBytes = collect ? await walBytesBetween(control, before.walLsn, after.walLsn) : null;
    throwIfAborted(opts.signal);

    const result = buildResult({
      opts,
      statements,
      outcome,
      before,
      after,
      clock,
      runEnd,
      samplerData,
      probes: stoppedProbes,
      migrationPid,
      walBytes,
      plan,
    });
    if (rehearsal)
      result.deploy = deployResult(rehearsal, statements!, clock, result.timeline?.waits ?? null);
    if (workloadResult) applyWorkload(result, workloadResult);
    return result;
  } catch (err) {
    if (opts.signal?.aborted) throw new CancelledError();
    throw err;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    // The cancel must reach the server before the sockets close, or a backend keeps running the statement.
    await (cancelling as Promise<void> | null);
    if (sampler) await sampler.stop().catch(() => undefined);
    if (probes) await probes.stop(null).catch(() => undefined);
    if (workload) await workload.stop().catch(() => undefined);
    await connections.closeAll();
  }
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
  probes: ProbeSet | null;
  migrationPid: number | null;
  walBytes: number | null;
  plan: ProbePlan;
}

function buildResult(r: ResultInput): StrategyResult {
  const { outcome, before, after, clock } = r;
  const failure = outcome.failure;
  const first = outcome.timings[0];
  const last = outcome.timings.at(-1);
  const intervals = r.samplerData
    ? lockIntervals(r.samplerData, outcome.timings, r.statements, r.runEnd)
    : [];
  const probeResults: ProbeResults | null =
    r.probes && r.samplerData
      ? r.probes.results(
          causeResolver({
            sampler: r.samplerData,
            intervals,
            timings: outcome.timings,
            statements: r.statements,
            migrationPid: r.migrationPid,
          }),
        )
      : null;
  // What the probes wrote themselves is not the migration's: kept apart, reported as such.
  const footprint: ProbeFootprint = r.probes?.footprint() ?? { walBytes: 0, deadTuples: {} };
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
    blocking: probeResults?.blocking ?? { reads: emptyProbeStats(), writes: emptyProbeStats(), tables: {} },
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
                dead_tuples: Math.max(0, (a?.deadTuples ?? 0) - (footprint.deadTuples[name] ?? 0)),
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
    wal_bytes: r.walBytes === null ? null : Math.max(0, r.walBytes - footprint.walBytes),
    metrics: {
      samples: samples.length,
      sample_interval_ms:
        samples.length > 1 ? round1((samples.at(-1)!.send - samples[0]!.send) / (samples.length - 1)) : null,
      // Statements so short no sample fell inside them: a lock they took and released may be missing.
      statements_between_samples: r.samplerData
        ? statementsBetweenSamples(outcome, samples, r.statements)
        : null,
      probed_tables: r.plan.targets.length,
      tables_not_probed: r.plan.unmeasured.length,
      probe_wal_bytes: r.probes ? footprint.walBytes : null,
      probe_dead_tuples: r.probes ? Object.values(footprint.deadTuples).reduce((n, x) => n + x, 0) : null,
      dead_tuples_from_pgstattuple: r.samplerData
        ? Number(after.deadTupleSource === 'pgstattuple_approx')
        : null,
      ...(r.opts.longReaderMs ? { long_reader_ms: r.opts.longReaderMs } : {}),
    },
  };
  if (before.schema && after.schema) result.schema_changes = diffSchemas(before.schema, after.schema);
  if (r.samplerData || probeResults) {
    result.timeline = { locks: lockEvents(intervals, clock), waits: probeResults?.waits ?? [] };
  }
  return result;
}
