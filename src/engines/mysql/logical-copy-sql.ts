/**
 * The SQL of logical copies on a user's MySQL/MariaDB server (logical-copy.ts). Names go through
 * quoteMysqlIdent; values are `?` parameters. The DDL replayed in a copy is what the server itself
 * prints (SHOW CREATE …), as mysqldump replays it; no user string is ever spliced into SQL.
 */
import { quoteMysqlIdent } from './quote.js';

export const BASE_TABLES_SQL = /* SQL */ `
  SELECT TABLE_NAME AS name FROM information_schema.TABLES
  WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`;

export const VIEWS_SQL = /* SQL */ `
  SELECT TABLE_NAME AS name FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME`;

export const TRIGGERS_SQL = /* SQL */ `
  SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS
  WHERE TRIGGER_SCHEMA = ? ORDER BY EVENT_OBJECT_TABLE, ACTION_ORDER`;

export const ROUTINES_SQL = /* SQL */ `
  SELECT ROUTINE_NAME AS name, ROUTINE_TYPE AS type FROM information_schema.ROUTINES
  WHERE ROUTINE_SCHEMA = ? ORDER BY ROUTINE_NAME`;

export const EVENTS_SQL = /* SQL */ `
  SELECT EVENT_NAME AS name FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?`;

/** Columns an INSERT may set: generated ones are computed again in the copy. */
export const INSERTABLE_COLUMNS_SQL = /* SQL */ `
  SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS
  WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?
    AND UPPER(EXTRA) NOT LIKE '%GENERATED%' AND UPPER(EXTRA) NOT LIKE '%VIRTUAL%'
    AND UPPER(EXTRA) NOT LIKE '%PERSISTENT%' AND UPPER(EXTRA) NOT LIKE '%STORED%'
  ORDER BY ORDINAL_POSITION`;

/** Databases named with a prefix (LIKE's wildcards in it escaped by the caller's parameter). */
export const DATABASES_LIKE_SQL = /* SQL */ `
  SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?`;

/** The copy's session: no foreign-key checks while tables are filled in any order. */
export const COPY_SESSION_SQL = 'SET SESSION foreign_key_checks = 0, unique_checks = 0';
export const CONSISTENT_SNAPSHOT_SQL = 'START TRANSACTION WITH CONSISTENT SNAPSHOT';

export const GRANTS_SQL = 'SHOW GRANTS FOR CURRENT_USER()';

export const q = quoteMysqlIdent;
export const qualified = (db: string, name: string): string => `${q(db)}.${q(name)}`;

export const useSql = (db: string): string => `USE ${q(db)}`;
export const analyzeTableSql = (db: string, t: string) => `ANALYZE TABLE ${qualified(db, t)}`;
export const showCreateTableSql = (db: string, t: string) => `SHOW CREATE TABLE ${qualified(db, t)}`;
export const showCreateViewSql = (db: string, v: string) => `SHOW CREATE VIEW ${qualified(db, v)}`;
export const showCreateTriggerSql = (db: string, t: string) => `SHOW CREATE TRIGGER ${qualified(db, t)}`;
export function showCreateRoutineSql(db: string, name: string, type: string): string {
  if (type !== 'PROCEDURE' && type !== 'FUNCTION') throw new Error(`not a routine type: ${type}`);
  return `SHOW CREATE ${type} ${qualified(db, name)}`;
}

export function insertSelectSql(from: string, to: string, table: string, columns: string[]): string {
  const list = columns.map(q).join(', ');
  return `INSERT INTO ${qualified(to, table)} (${list}) SELECT ${list} FROM ${qualified(from, table)}`;
}

/** `vdb\_abc123\_%`: a LIKE pattern matching names that start with `prefix` exactly. */
export function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\_%]/g, (c) => `\\${c}`)}%`;
}
