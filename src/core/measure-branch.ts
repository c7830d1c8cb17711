/**
 * One strategy on its branch: measure the migration with the collector of the branch's engine
 * (PostgreSQL: src/collector; MySQL/MariaDB: src/engines/mysql/collector), run the validation
 * command through the backend, and say who it ran as and what of it reaches outside the branch.
 */
import type { Backend, BranchConnection } from '../backends/backend.js';
import { withBranch } from '../backends/with-branch.js';
import type { DeployRehearsal } from '../collector/deploy-options.js';
import { measureMigration } from '../collector/index.js';
import { measureMysqlMigration } from '../engines/mysql/collector/index.js';
import { renameDatabase } from '../engines/mysql/collector/relation-names.js';
import { InvalidInputError, throwIfAborted } from '../errors.js';
import type { StrategyResult, Validation } from '../result.js';
import type { Timeouts } from '../util/timeouts.js';
import type { WorkloadSpec } from '../workload/index.js';
import { type Reservation, reserveConnections } from './connection-budget.js';
import type { ProgressFn } from './context.js';
import { isMysql, mysqlSettingsOf } from './engine-of.js';
import type { ResolvedMigration } from './migration-input.js';
import { mysqlOutsideBranchWarnings } from './mysql-outside-branch.js';
import { outsideBranchWarnings } from './outside-branch.js';

/** Validation output kept in results: the tail, where test runners print their verdict. */
const VALIDATION_OUTPUT_CHARS = 4000;

export interface MeasureOptions {
  validation?: string;
  collectMetrics?: boolean;
  longReaderMs?: number;
  deploy?: DeployRehearsal | null;
  superuser?: boolean;
  workload?: WorkloadSpec;
  knownRowCounts?: Record<string, number>;
  /** MySQL: the database results name relations in (the checkpoint's source; a logical copy serves another). */
  relationDatabase?: string;
  signal?: AbortSignal;
  onProgress?: ProgressFn;
  timeouts: Timeouts;
}

async function runValidation(
  backend: Backend,
  branch: string,
  command: string,
  signal: AbortSignal | undefined,
  timeoutMs: number,
  superuser?: boolean,
): Promise<Validation> {
  const r = await backend.exec(branch, command, { timeoutMs, signal, superuser });
  const output = `${r.stdout}${r.stderr ? `\n${r.stderr}` : ''}`.trim();
  return {
    status: r.exitCode === 0 ? 'passed' : 'failed',
    output: (r.exitCode === 0 ? '' : `exit code ${r.exitCode}\n`) + output.slice(-VALIDATION_OUTPUT_CHARS),
  };
}

/** Measure one resolved migration on an existing branch, then validate. */
export async function measureOnBranch(
  backend: Backend,
  branch: string,
  m: ResolvedMigration,
  opts: MeasureOptions,
): Promise<StrategyResult> {
  const su = opts.superuser ?? false;
  return withBranch(
    backend,
    branch,
    async (conn) => {
      const mysqlDatabase = isMysql(conn) ? mysqlSettingsOf(conn).database : null;
      const result =
        mysqlDatabase !== null
          ? await measureMysqlOnBranch(backend, conn, branch, m, opts)
          : await measurePostgresOnBranch(backend, conn, branch, m, opts);
      if (opts.validation && result.status === 'passed') {
        opts.onProgress?.({ message: `${m.name}: validating` });
        result.validation = await runValidation(
          backend,
          branch,
          opts.validation,
          opts.signal,
          opts.timeouts.validationMs,
          su,
        );
        if (result.validation.status === 'failed') {
          result.status = 'failed';
          result.error = 'validation failed';
        }
      }
      result.sandbox = await sandboxOf(backend, branch, m, su, mysqlDatabase);
      return result;
    },
    { as: su ? 'superuser' : 'owner' },
  );
}

async function measurePostgresOnBranch(
  backend: Backend,
  conn: BranchConnection,
  branch: string,
  m: ResolvedMigration,
  opts: MeasureOptions,
): Promise<StrategyResult> {
  // Parallel strategies share the server's connections: wait for room rather than fail.
  const collect = opts.collectMetrics ?? true;
  const reservation: Reservation = await reserveConnections(conn.config, {
    probes: collect,
    signal: opts.signal,
  });
  try {
    return await measureMigration({
      name: m.name,
      branch,
      connection: conn.config,
      migration: m.source,
      exec: (command, o) => backend.exec(branch, command, { ...o, superuser: opts.superuser ?? false }),
      collectMetrics: collect,
      maxProbeConnections: reservation.probeConnections,
      longReaderMs: opts.longReaderMs,
      deploy: opts.deploy,
      workload: opts.workload,
      knownRowCounts: opts.knownRowCounts,
      signal: opts.signal,
      onProgress: opts.onProgress,
      timeouts: opts.timeouts,
    });
  } finally {
    reservation.release();
  }
}

/**
 * The MySQL collector: SQL migrations only (test.ts refuses the options it does not have before
 * any branch is made). Snapshots, the lock sampler and the probes log in as the server's tool
 * user (they need performance_schema and the whole process list); the migration runs as the
 * branch's owner unless superuser was asked for. A cancellation or a statement or migration timeout
 * ends the running statement on the server (KILL QUERY, engines/mysql/collector/interrupt.ts).
 */
async function measureMysqlOnBranch(
  backend: Backend,
  conn: BranchConnection,
  branch: string,
  m: ResolvedMigration,
  opts: MeasureOptions,
): Promise<StrategyResult> {
  if (m.source.kind !== 'sql') throw new InvalidInputError(`${m.name}: MySQL strategies are SQL`);
  const sql = m.source.sql;
  const file = m.source.file;
  throwIfAborted(opts.signal);
  opts.onProgress?.({ message: 'running the migration (MySQL/MariaDB collector)' });
  const owner = mysqlSettingsOf(conn);
  const result = await withBranch(
    backend,
    branch,
    async (toolConn) => {
      const settings = mysqlSettingsOf(toolConn);
      const runAs =
        opts.superuser || owner.user === settings.user
          ? undefined
          : { user: owner.user, password: owner.password };
      const measured = await measureMysqlMigration({ settings, name: m.name, branch }, sql, {
        probes: opts.collectMetrics ?? true,
        ...(file ? { file } : {}),
        ...(runAs ? { runAs } : {}),
        ...(opts.longReaderMs ? { longReaderMs: opts.longReaderMs } : {}),
        ...(opts.workload ? { workload: opts.workload } : {}),
        signal: opts.signal,
        statementTimeoutMs: opts.timeouts.statementMs,
        migrationTimeoutMs: opts.timeouts.migrationMs,
      });
      const named = opts.relationDatabase ?? settings.database;
      return renameDatabase(measured, settings.database, named);
    },
    { as: 'superuser' },
  );
  throwIfAborted(opts.signal);
  return result;
}

/** Who the migration ran as, and what of it reaches outside the branch (advisory). */
async function sandboxOf(
  backend: Backend,
  branch: string,
  m: ResolvedMigration,
  superuser: boolean,
  mysqlDatabase: string | null,
): Promise<NonNullable<StrategyResult['sandbox']>> {
  const sql = m.source.kind === 'sql' ? m.source.sql : null;
  const warnings =
    sql === null
      ? []
      : mysqlDatabase !== null
        ? mysqlOutsideBranchWarnings(sql, mysqlDatabase)
        : outsideBranchWarnings(sql);
  if (backend.capabilities.isolation === 'vm') return { role: 'vm', warnings };
  if (superuser) return { role: 'superuser', warnings };
  return { role: (await branchIsSandboxed(backend, branch)) ? 'branch-owner' : 'server-user', warnings };
}

async function branchIsSandboxed(backend: Backend, branch: string): Promise<boolean> {
  const userAs = (as: 'owner' | 'superuser') =>
    withBranch(backend, branch, async (conn) => conn.config.user, { as });
  return (await userAs('owner')) !== (await userAs('superuser'));
}
