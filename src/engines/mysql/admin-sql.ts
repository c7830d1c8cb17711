/**
 * Administrative SQL for MySQL/MariaDB: databases (exists, create, drop, size), the sessions in
 * one, and the per-session settings of vers-db's own connections. Names go through
 * quoteMysqlIdent, values are `?` parameters (mysql2 formats them client-side).
 */
import { quoteMysqlIdent } from './quote.js';

export const DATABASE_EXISTS_SQL = /* SQL */ `
  SELECT COUNT(*) AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?`;

/** Data and indexes of every table in a database, bytes (InnoDB's estimate, as the server keeps it). */
export const DATABASE_SIZE_SQL = /* SQL */ `
  SELECT COALESCE(SUM(DATA_LENGTH + INDEX_LENGTH), 0) AS bytes
  FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?`;

/** Other sessions using a database (to stop before a drop or a copy). */
export const DATABASE_SESSIONS_SQL = /* SQL */ `
  SELECT ID AS id, USER AS user, COMMAND AS command, STATE AS state
  FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()`;

/**
 * Bounded waits for vers-db's own sessions (samplers, snapshots, probes): seconds, as MySQL wants.
 * lock_wait_timeout bounds metadata-lock waits, innodb_lock_wait_timeout row-lock waits.
 */
export const SESSION_TIMEOUTS_SQL = /* SQL */ `
  SET SESSION lock_wait_timeout = ?, innodb_lock_wait_timeout = ?`;

export function createDatabaseSql(name: string): string {
  return `CREATE DATABASE ${quoteMysqlIdent(name)}`;
}

export function ensureDatabaseSql(name: string): string {
  return `CREATE DATABASE IF NOT EXISTS ${quoteMysqlIdent(name)}`;
}

export function dropDatabaseSql(name: string): string {
  return `DROP DATABASE IF EXISTS ${quoteMysqlIdent(name)}`;
}

/** KILL takes no parameter: the id is checked to be an integer instead. */
export function killConnectionSql(id: number): string {
  if (!Number.isSafeInteger(id) || id <= 0) throw new RangeError(`not a connection id: ${id}`);
  return `KILL CONNECTION ${id}`;
}

export const mysqlAdminSql = {
  databaseExists: DATABASE_EXISTS_SQL,
  databaseSize: DATABASE_SIZE_SQL,
  databaseSessions: DATABASE_SESSIONS_SQL,
  sessionTimeouts: SESSION_TIMEOUTS_SQL,
  createDatabase: createDatabaseSql,
  dropDatabase: dropDatabaseSql,
  killConnection: killConnectionSql,
} as const;
export type MysqlAdminSql = typeof mysqlAdminSql;
