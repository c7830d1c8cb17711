/**
 * The application's own workload (`--workload app.sql`) on MySQL/MariaDB: the same file format and
 * result as on PostgreSQL (src/workload/), with MySQL's SQL, sessions and committed-writes check.
 * measureMysqlMigration's `workload` option runs it; `loadMysqlWorkload` reads the file.
 */
import type { RowDataPacket } from 'mysql2';
import { InvalidInputError } from '../../../errors.js';
import { parseWorkload, type WorkloadSpec } from '../../../workload/file.js';
import {
  loadWorkload,
  type WorkloadInput,
  type WorkloadResult,
  WorkloadRun,
} from '../../../workload/index.js';
import { resolveParamsWith } from '../../../workload/params.js';
import { workloadResult } from '../../../workload/result.js';
import type { MysqlConnection, MysqlSettings } from '../client.js';
import { MysqlWorkloadDriver, mysqlParamLookup } from './driver.js';
import { checkMysqlCommittedWrites } from './lost-writes.js';
import { mysqlDialect } from './statement.js';

export { mysqlDialect } from './statement.js';

const VERSION_SQL = 'SELECT VERSION() AS v';

/** Parse a workload file written in MySQL/MariaDB SQL. */
export function parseMysqlWorkload(text: string, file: string): Promise<WorkloadSpec> {
  return parseWorkload(text, file, mysqlDialect);
}

/** Read and parse a MySQL/MariaDB workload file (relative to `cwd`), with the user's overrides. */
export function loadMysqlWorkload(input: WorkloadInput, cwd: string): Promise<WorkloadSpec> {
  return loadWorkload(input, cwd, mysqlDialect);
}

export interface StartMysqlWorkloadOptions {
  /** Who the application connects as (the branch owner where sandboxed), to `database`. */
  settings: MysqlSettings;
  database: string;
  spec: WorkloadSpec;
  clock: { now(): number };
  /** The tool user's session: draws keys, reads the redo position. */
  control: MysqlConnection;
}

/** Draw keys, open the sessions and start issuing statements: the baseline window begins. */
export async function startMysqlWorkload(
  o: StartMysqlWorkloadOptions,
): Promise<WorkloadRun<MysqlConnection>> {
  if (o.spec.dialect !== 'mysql') {
    throw new InvalidInputError(`the workload ${o.spec.file} was read as PostgreSQL SQL, not MySQL's`, {
      hint: 'read it with loadMysqlWorkload (src/engines/mysql/workload/)',
    });
  }
  const [version] = await o.control.query<RowDataPacket[]>(VERSION_SQL);
  const returning = o.spec.statements.find((s) => s.returning);
  if (returning && !/mariadb/i.test(String(version[0]?.v ?? ''))) {
    throw new InvalidInputError(
      `${o.spec.file}:${returning.line}: this server is MySQL, which has no RETURNING`,
      {
        hint: 'committed writes are checked from what RETURNING gives back: MariaDB ≥ 10.5 has INSERT … RETURNING',
      },
    );
  }
  const lookup = mysqlParamLookup(o.control, o.database);
  const sources = await resolveParamsWith(lookup, o.spec);
  const targets = new Map<number, string>();
  for (const s of o.spec.statements) {
    const t = s.target ? await lookup.resolveTable(s.target) : null;
    if (t) targets.set(s.index, t.name);
  }
  const driver = new MysqlWorkloadDriver(
    { ...o.settings, database: o.database },
    o.spec.timeoutMs,
    o.control,
    o.clock,
  );
  return WorkloadRun.begin({ driver, spec: o.spec, clock: o.clock, sources, targets });
}

/** Stop the run and look for its committed writes in `database` as the migration left it. */
export async function finishMysqlWorkload(
  run: WorkloadRun<MysqlConnection>,
  control: MysqlConnection,
  database: string,
): Promise<WorkloadResult> {
  const outcome = await run.stop();
  const writes = await checkMysqlCommittedWrites(control, database, outcome.committed, {
    start: outcome.marks.migration,
    end: outcome.marks.after,
  });
  return workloadResult(outcome, writes);
}

/** The tables the workload's committing writes go to, as `<database>.<table>`: they change, and are checked by their writes. */
export async function committedTargets(
  control: MysqlConnection,
  database: string,
  spec: WorkloadSpec,
): Promise<Set<string>> {
  const lookup = mysqlParamLookup(control, database);
  const out = new Set<string>();
  for (const s of spec.statements) {
    const t = s.commit && s.target ? await lookup.resolveTable(s.target) : null;
    if (t) out.add(t.name);
  }
  return out;
}
