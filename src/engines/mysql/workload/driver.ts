/**
 * The workload's sessions on MySQL/MariaDB (src/workload/driver.ts's WorkloadDriver): each
 * statement bounded by max_statement_time (MariaDB) and by lock_wait_timeout /
 * innodb_lock_wait_timeout (metadata and row locks, whole seconds); writes that roll back inside
 * START TRANSACTION … ROLLBACK, committing writes in autocommit; every returned value as the
 * server's text (binary strings as hex); the InnoDB redo position for the workload's own redo.
 * Keys are drawn and tables named through information_schema, on the tool user's connection.
 */
import type { FieldPacket, RowDataPacket } from 'mysql2';
import type { StatementRun, WorkloadDriver } from '../../../workload/driver.js';
import type { WorkloadStatement } from '../../../workload/file.js';
import type { ParamLookup, ResolvedTable } from '../../../workload/params.js';
import { SESSION_TIMEOUTS_SQL } from '../admin-sql.js';
import { connectMysql, type MysqlConnection, type MysqlSettings, quoteMysqlIdent } from '../client.js';
import { relationKey } from '../locks.js';
import { probeTarget } from '../probe.js';
import { LOCK_WAIT_TIMEOUT_ERRNO, STATEMENT_TIMEOUT_ERRNOS, sampleKeysSql } from '../probe-sql.js';
import { redoLsn } from '../snapshot.js';
import { bindParams } from './statement.js';

/** Exact name first; else the one table whose name matches without regard to case. */
export const RESOLVE_TABLE_SQL = /* SQL */ `
  SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name FROM information_schema.TABLES
  WHERE TABLE_SCHEMA = ? AND LOWER(TABLE_NAME) = LOWER(?) AND TABLE_TYPE = 'BASE TABLE'
  ORDER BY TABLE_NAME = ? DESC, TABLE_NAME LIMIT 2`;
export const MARIADB_STATEMENT_TIME_SQL = 'SET SESSION max_statement_time = ?';
const START_TRANSACTION_SQL = 'START TRANSACTION';
const ROLLBACK_SQL = 'ROLLBACK';
/** Keys drawn per `key` binding (the first in key order, as the probes draw theirs). */
export const WORKLOAD_KEYS = 1000;

/** MySQL types whose text is bytes: returned as hex, compared through X'…'. */
const BINARY_STRING_TYPES = new Set([15, 249, 250, 251, 252, 253, 254]);
const BINARY_CHARSET = 63;

export const isBinaryField = (f: FieldPacket): boolean =>
  f.characterSet === BINARY_CHARSET && BINARY_STRING_TYPES.has(f.columnType ?? f.type ?? -1);

/** The rows of a text-protocol result as the server's text (binary strings as hex). */
export async function textQuery(
  c: MysqlConnection,
  sql: string,
  values?: unknown[],
): Promise<{ rowCount: number; columns: string[]; rows: (string | null)[][] }> {
  const [result, fields] = await c.query({
    sql,
    ...(values ? { values } : {}),
    rowsAsArray: true,
    typeCast: (field: { buffer(): Buffer | null }) => field.buffer(),
  });
  if (!Array.isArray(result)) {
    return { rowCount: (result as { affectedRows?: number }).affectedRows ?? 0, columns: [], rows: [] };
  }
  const fs = (fields ?? []) as FieldPacket[];
  const binary = fs.map(isBinaryField);
  const rows = (result as unknown as (Buffer | null)[][]).map((r) =>
    r.map((v, i) => (v === null ? null : binary[i] ? v.toString('hex') : v.toString('utf8'))),
  );
  return { rowCount: rows.length, columns: fs.map((f) => f.name), rows };
}

export class MysqlWorkloadDriver implements WorkloadDriver<MysqlConnection> {
  readonly leavesDeadTuples = false;

  constructor(
    private readonly settings: MysqlSettings,
    private readonly timeoutMs: number,
    /** Reads the redo position; idle otherwise. */
    private readonly control: MysqlConnection,
    private readonly clock: { now(): number },
  ) {}

  async open(): Promise<MysqlConnection> {
    const c = await connectMysql(this.settings);
    try {
      const seconds = Math.max(1, Math.ceil(this.timeoutMs / 1000));
      await c.query(SESSION_TIMEOUTS_SQL, [seconds, seconds]);
      // MariaDB bounds every statement; MySQL 8 only SELECTs (max_execution_time), so lock waits above bound the rest.
      await c.query(MARIADB_STATEMENT_TIME_SQL, [this.timeoutMs / 1000]).catch(() => undefined);
    } catch (err) {
      c.destroy();
      throw err;
    }
    return c;
  }

  async close(c: MysqlConnection): Promise<void> {
    await c.end().catch(() => c.destroy());
  }

  async run(
    c: MysqlConnection,
    s: WorkloadStatement,
    values: (string | null)[],
    rollback: boolean,
  ): Promise<StatementRun> {
    const sql = bindParams(s.sql, values);
    let start = this.clock.now();
    let error: string | null = null;
    let timedOut = false;
    let out: Awaited<ReturnType<typeof textQuery>> | null = null;
    try {
      if (rollback) {
        await c.query(START_TRANSACTION_SQL);
        start = this.clock.now();
      }
      out = await textQuery(c, sql);
    } catch (err) {
      const e = err as { code?: string; errno?: number; fatal?: boolean };
      error = e.fatal || !e.code ? 'connection' : e.code;
      timedOut = e.errno === LOCK_WAIT_TIMEOUT_ERRNO || (!!e.errno && STATEMENT_TIMEOUT_ERRNOS.has(e.errno));
    }
    const end = this.clock.now();
    if (rollback && error !== 'connection') await c.query(ROLLBACK_SQL).catch(() => undefined);
    return {
      start,
      end,
      error,
      timedOut,
      rowCount: out?.rowCount ?? 0,
      columns: out?.columns ?? [],
      rows: out?.rows ?? [],
    };
  }

  async logPosition(): Promise<string | null> {
    const lsn = await redoLsn(this.control).catch(() => null);
    return lsn === null ? null : String(lsn);
  }

  async logBytes(from: string, to: string): Promise<number | null> {
    const d = BigInt(to) - BigInt(from);
    return d > 0n ? Number(d) : 0;
  }
}

/** A table of the branch as the application names it (`table` in `database`, or `db.table`). */
export async function resolveMysqlTable(
  c: MysqlConnection,
  database: string,
  ref: { schema: string | null; table: string },
): Promise<ResolvedTable | null> {
  const db = ref.schema ?? database;
  const [rows] = await c.query<RowDataPacket[]>(RESOLVE_TABLE_SQL, [db, ref.table, ref.table]);
  const found = rows as Array<{ db: string; name: string }>;
  // Two tables differing only in case, neither named exactly: ambiguous.
  const hit = found[0]?.name === ref.table || found.length === 1 ? found[0] : undefined;
  return hit ? { schema: hit.db, table: hit.name, name: relationKey(hit.db, hit.name) } : null;
}

/** Tables, keys and maxima for the workload's parameters (src/workload/params.ts), through information_schema. */
export function mysqlParamLookup(c: MysqlConnection, database: string): ParamLookup {
  const qualified = (t: ResolvedTable) => `${quoteMysqlIdent(t.schema)}.${quoteMysqlIdent(t.table)}`;
  return {
    resolveTable: (ref) => resolveMysqlTable(c, database, ref),
    async maxOf(table, column) {
      const [rows] = await c.query<RowDataPacket[]>(
        `SELECT CAST(MAX(${quoteMysqlIdent(column)}) AS CHAR) AS m FROM ${qualified(table)}`,
      );
      return BigInt((rows[0]?.m as string | null) ?? '0');
    },
    async keyValues(table, column) {
      const target = column
        ? { database: table.schema, table: table.table, key: column }
        : await probeTarget(c, table.schema, table.table);
      if (!target)
        throw new Error(`${table.name} has no primary key: name the column, key ${table.table}(<column>)`);
      const keys = await textQuery(c, sampleKeysSql(target.database, target.table, target.key), [
        WORKLOAD_KEYS,
      ]);
      const values = keys.rows.map((r) => r[0] ?? null).filter((k): k is string => k !== null);
      return { column: target.key, values };
    },
  };
}
