/**
 * MySQL/MariaDB's side of core: a checkpoint's record (sizes and schema from the source, counts
 * and CHECKSUM TABLE of the sealed copy: ../mysql-checkpoint-create.ts), the collector in
 * src/engines/mysql/collector, the workload in MySQL's dialect, and information_schema
 * comparisons (../mysql-compare.ts). What its collector does not have yet is refused before any
 * branch is made: the deploy rehearsal, strategy variants, shell-command strategies.
 */

import type { Backend, BranchConnection } from '../../backends/backend.js';
import { withBranch } from '../../backends/with-branch.js';
import { measureMysqlMigration } from '../../engines/mysql/collector/index.js';
import { renameDatabase } from '../../engines/mysql/collector/relation-names.js';
import { loadMysqlWorkload } from '../../engines/mysql/workload/index.js';
import { InvalidInputError, throwIfAborted } from '../../errors.js';
import type { StrategyResult } from '../../result.js';
import { mysqlSettingsOf, postgresOnly } from '../engine-of.js';
import type { ResolvedMigration } from '../migration-input.js';
import { mysqlBefore } from '../mysql-checkpoint-create.js';
import { compareMysqlBranches } from '../mysql-compare.js';
import { mysqlOutsideBranchWarnings } from '../mysql-outside-branch.js';
import { checkMysqlQuery } from '../mysql-query.js';
import type { CoreEngine, MeasureOptions } from './types.js';

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

export const mysqlCore: CoreEngine = {
  name: 'mysql',
  readSource: (_ctx, tag, source, backend) => mysqlBefore(tag, source, backend),
  refuseUnsupported(input, resolved) {
    if (input.deploy) throw postgresOnly('the deploy rehearsal (--deploy-lock-timeout)', 'leave it out');
    if (input.afterRun || input.beforeRank)
      throw postgresOnly('strategy variants', 'test the strategies as written');
    const command = resolved.find((m) => m.source.kind === 'command');
    if (command)
      throw postgresOnly(`a shell-command strategy (${command.name})`, 'give the migration as SQL');
  },
  loadWorkload: loadMysqlWorkload,
  measure: measureMysqlOnBranch,
  outsideBranchWarnings: (sql, conn) => mysqlOutsideBranchWarnings(sql, mysqlSettingsOf(conn).database),
  checkCompareQuery: async (query) => checkMysqlQuery(query),
  compare: compareMysqlBranches,
};
