/**
 * The SQL of before/after snapshots on MySQL/MariaDB: tables with their sizes, their InnoDB
 * identity (a new table id or tablespace means the table was rebuilt, whatever the ALGORITHM
 * clause said), exact row counts, CHECKSUM TABLE, and the redo log position (wal_bytes' equivalent).
 */

/** Base tables of one database with InnoDB's size estimates (bytes) and row estimate. */
export const TABLES_SQL = /* SQL */ `
  SELECT TABLE_NAME AS table_name, ENGINE AS engine, TABLE_ROWS AS estimated_rows,
         DATA_LENGTH AS data_bytes, INDEX_LENGTH AS index_bytes, DATA_FREE AS free_bytes
  FROM information_schema.TABLES
  WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'
  ORDER BY TABLE_NAME`;
export interface TableRow {
  table_name: string;
  engine: string | null;
  estimated_rows: number | string | null;
  data_bytes: number | string | null;
  index_bytes: number | string | null;
  free_bytes: number | string | null;
}

/**
 * InnoDB's dictionary: table id and tablespace per table, named `<database>/<table>` in the
 * server's file-name encoding (decodeInnodbName). MariaDB and MySQL 5.7 call it INNODB_SYS_TABLES.
 */
export const INNODB_SYS_TABLES_SQL = /* SQL */ `
  SELECT TABLE_ID AS table_id, NAME AS name, SPACE AS space
  FROM information_schema.INNODB_SYS_TABLES WHERE NAME LIKE '%/%'`;
/** MySQL 8 renamed it INNODB_TABLES. */
export const INNODB_TABLES_SQL = /* SQL */ `
  SELECT TABLE_ID AS table_id, NAME AS name, SPACE AS space
  FROM information_schema.INNODB_TABLES WHERE NAME LIKE '%/%'`;
export interface InnodbTableRow {
  table_id: number | string;
  name: string;
  space: number | string;
}

/** The current redo log sequence number, bytes (MariaDB's status variable). */
export const REDO_LSN_SQL = /* SQL */ `
  SELECT VARIABLE_VALUE AS lsn FROM information_schema.GLOBAL_STATUS
  WHERE VARIABLE_NAME = 'INNODB_LSN_CURRENT'`;
export interface RedoLsnRow {
  lsn: string;
}

/** Exact row count and CHECKSUM TABLE take a quoted `db`.`table` (see snapshot.ts). */
export const rowCountSql = (qualified: string): string => `SELECT COUNT(*) AS n FROM ${qualified}`;
export const checksumSql = (qualified: string): string => `CHECKSUM TABLE ${qualified}`;
export interface RowCountRow {
  n: number | string;
}
export interface ChecksumRow {
  Table: string;
  Checksum: number | string | null;
}
