/**
 * Probe statements on MySQL/MariaDB: what the application does to a table, keyed by its primary
 * key. A read is a keyed SELECT (a SHARED_READ metadata lock); a write is a keyed UPDATE that sets
 * the key to itself (a SHARED_WRITE metadata lock and the row's X lock, as a real UPDATE waits for
 * them) inside a transaction that is rolled back, so nothing changes.
 */
import { quoteMysqlIdent } from './client.js';

/** The first column of a table's primary key (probes need a key to address one row). */
export const PRIMARY_KEY_SQL = /* SQL */ `
  SELECT COLUMN_NAME AS column_name FROM information_schema.STATISTICS
  WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' AND SEQ_IN_INDEX = 1`;
export interface PrimaryKeyRow {
  column_name: string;
}

/** The first `?` keys in key order (an index range read, no sort). */
export const sampleKeysSql = (database: string, table: string, key: string): string =>
  `SELECT ${quoteMysqlIdent(key)} AS k FROM ${qualified(database, table)} ORDER BY ${quoteMysqlIdent(key)} LIMIT ?`;

export const readProbeSql = (database: string, table: string, key: string): string =>
  `SELECT * FROM ${qualified(database, table)} WHERE ${quoteMysqlIdent(key)} = ? LIMIT 1`;

export const writeProbeSql = (database: string, table: string, key: string): string => {
  const k = quoteMysqlIdent(key);
  return `UPDATE ${qualified(database, table)} SET ${k} = ${k} WHERE ${k} = ?`;
};

export const START_TRANSACTION_SQL = 'START TRANSACTION';
export const ROLLBACK_SQL = 'ROLLBACK';

/** MySQL error numbers a probe reads as "waited too long" rather than as a failure. */
export const LOCK_WAIT_TIMEOUT_ERRNO = 1205; // ER_LOCK_WAIT_TIMEOUT: metadata and row lock waits
export const STATEMENT_TIMEOUT_ERRNOS = new Set([1969, 3024]); // MariaDB max_statement_time, MySQL max_execution_time

const qualified = (database: string, table: string) =>
  `${quoteMysqlIdent(database)}.${quoteMysqlIdent(table)}`;
