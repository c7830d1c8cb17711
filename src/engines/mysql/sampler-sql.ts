/**
 * The SQL the MySQL/MariaDB lock sampler reads, and the row each query returns. Columns are
 * aliased to the names the interpretation (locks.ts) reads. Connection ids are processlist ids
 * (`CONNECTION_ID()`, mysql2's `threadId`), never performance_schema thread ids.
 */

/** Schemas whose locks are the server's own business, never the application's. */
const SYSTEM_SCHEMAS = `('mysql', 'performance_schema', 'information_schema', 'sys')`;

export const SERVER_VERSION_SQL = /* SQL */ `SELECT VERSION() AS version`;
export interface ServerVersionRow {
  /** e.g. 10.11.19-MariaDB-0+deb12u1 or 8.4.3 */
  version: string;
}

/** Is performance_schema on, and is the metadata-lock instrument enabled (both start-up settings on a tool-owned server)? */
export const MDL_INSTRUMENT_SQL = /* SQL */ `
  SELECT @@performance_schema AS performance_schema,
         (SELECT ENABLED FROM performance_schema.setup_instruments
           WHERE NAME = 'wait/lock/metadata/sql/mdl') AS mdl_instrument`;
export interface MdlInstrumentRow {
  performance_schema: number | string;
  mdl_instrument: string | null;
}

/**
 * Which information_schema / performance_schema lock tables this server has: MariaDB (and MySQL
 * 5.7) keep InnoDB's lock waits in information_schema.INNODB_LOCK_WAITS, MySQL 8 in
 * performance_schema.data_lock_waits; MariaDB's metadata_lock_info plugin adds METADATA_LOCK_INFO.
 */
export const LOCK_TABLES_SQL = /* SQL */ `
  SELECT CONCAT(TABLE_SCHEMA, '.', TABLE_NAME) AS name FROM information_schema.TABLES
  WHERE (TABLE_SCHEMA = 'information_schema' AND TABLE_NAME IN ('INNODB_LOCK_WAITS', 'METADATA_LOCK_INFO'))
     OR (TABLE_SCHEMA = 'performance_schema' AND TABLE_NAME IN ('metadata_locks', 'data_lock_waits'))`;
export interface LockTableRow {
  name: string;
}

/**
 * Table metadata locks from performance_schema: every lock of the given connections (the
 * migration), and every lock, granted or pending, on a table someone is waiting for. Bind one
 * array of connection ids (never empty: use [0]).
 */
export const MDL_LOCKS_SQL = /* SQL */ `
  SELECT t.PROCESSLIST_ID AS connection_id, m.OBJECT_SCHEMA AS object_schema, m.OBJECT_NAME AS object_name,
         m.LOCK_TYPE AS lock_type, m.LOCK_DURATION AS lock_duration, m.LOCK_STATUS AS lock_status
  FROM performance_schema.metadata_locks m
  JOIN performance_schema.threads t ON t.THREAD_ID = m.OWNER_THREAD_ID
  WHERE m.OBJECT_TYPE = 'TABLE' AND m.OBJECT_SCHEMA NOT IN ${SYSTEM_SCHEMAS}
    AND t.PROCESSLIST_ID IS NOT NULL AND t.PROCESSLIST_ID <> CONNECTION_ID()
    AND (t.PROCESSLIST_ID IN (?)
         OR (m.OBJECT_SCHEMA, m.OBJECT_NAME) IN (
              SELECT p.OBJECT_SCHEMA, p.OBJECT_NAME FROM performance_schema.metadata_locks p
              WHERE p.OBJECT_TYPE = 'TABLE' AND p.LOCK_STATUS = 'PENDING'))`;
export interface MdlLockRow {
  connection_id: number | string;
  object_schema: string;
  object_name: string;
  /** SHARED_READ, SHARED_WRITE, SHARED_UPGRADABLE, SHARED_NO_WRITE, EXCLUSIVE, … */
  lock_type: string;
  /** STATEMENT, TRANSACTION, EXPLICIT (null from metadata_lock_info on MariaDB 10.11) */
  lock_duration: string | null;
  /** GRANTED or PENDING (MySQL 8 adds VICTIM, TIMEOUT, KILLED, PRE_ACQUIRE_NOTIFY, POST_RELEASE_NOTIFY). */
  lock_status: string;
}

/**
 * MariaDB's metadata_lock_info plugin, where performance_schema is off on a server we do not own:
 * granted locks only (a waiter is found through the processlist), modes as MDL_SHARED_READ…
 * (installed with INSTALL SONAME 'metadata_lock_info').
 */
export const METADATA_LOCK_INFO_SQL = /* SQL */ `
  SELECT THREAD_ID AS connection_id, TABLE_SCHEMA AS object_schema, TABLE_NAME AS object_name,
         LOCK_MODE AS lock_type, LOCK_DURATION AS lock_duration, 'GRANTED' AS lock_status
  FROM information_schema.METADATA_LOCK_INFO
  WHERE LOCK_TYPE = 'Table metadata lock' AND TABLE_SCHEMA NOT IN ${SYSTEM_SCHEMAS}
    AND THREAD_ID <> CONNECTION_ID()`;

/** InnoDB row-lock waits on MariaDB and MySQL 5.7: who waits for which lock, behind whom. */
export const INNODB_LOCK_WAITS_SQL = /* SQL */ `
  SELECT r.trx_mysql_thread_id AS waiting_id, b.trx_mysql_thread_id AS blocking_id,
         rl.lock_table AS lock_table, rl.lock_index AS lock_index, rl.lock_type AS lock_type,
         rl.lock_mode AS waiting_mode, bl.lock_mode AS blocking_mode, r.trx_query AS waiting_query
  FROM information_schema.INNODB_LOCK_WAITS w
  JOIN information_schema.INNODB_TRX r ON r.trx_id = w.requesting_trx_id
  JOIN information_schema.INNODB_TRX b ON b.trx_id = w.blocking_trx_id
  JOIN information_schema.INNODB_LOCKS rl ON rl.lock_id = w.requested_lock_id
  JOIN information_schema.INNODB_LOCKS bl ON bl.lock_id = w.blocking_lock_id`;

/** The same from MySQL 8's performance_schema (its lock_table is split into schema and name). */
export const DATA_LOCK_WAITS_SQL = /* SQL */ `
  SELECT rt.PROCESSLIST_ID AS waiting_id, bt.PROCESSLIST_ID AS blocking_id,
         CONCAT('\`', REPLACE(rl.OBJECT_SCHEMA, '\`', '\`\`'), '\`.\`', REPLACE(rl.OBJECT_NAME, '\`', '\`\`'), '\`') AS lock_table,
         rl.INDEX_NAME AS lock_index, rl.LOCK_TYPE AS lock_type,
         rl.LOCK_MODE AS waiting_mode, bl.LOCK_MODE AS blocking_mode, rs.INFO AS waiting_query
  FROM performance_schema.data_lock_waits w
  JOIN performance_schema.data_locks rl ON rl.ENGINE_LOCK_ID = w.REQUESTING_ENGINE_LOCK_ID
  JOIN performance_schema.data_locks bl ON bl.ENGINE_LOCK_ID = w.BLOCKING_ENGINE_LOCK_ID
  JOIN performance_schema.threads rt ON rt.THREAD_ID = w.REQUESTING_THREAD_ID
  JOIN performance_schema.threads bt ON bt.THREAD_ID = w.BLOCKING_THREAD_ID
  LEFT JOIN information_schema.PROCESSLIST rs ON rs.ID = rt.PROCESSLIST_ID`;
export interface RowLockWaitRow {
  waiting_id: number | string;
  blocking_id: number | string;
  /** `schema`.`table` as InnoDB writes it. */
  lock_table: string;
  lock_index: string | null;
  /** RECORD or TABLE */
  lock_type: string;
  waiting_mode: string;
  blocking_mode: string;
  waiting_query: string | null;
}

/**
 * The processlist fallback: sessions whose state says they wait for a lock ("Waiting for table
 * metadata lock", "… schema metadata lock", "… backup lock", "… global read lock"), with how long.
 */
export const PROCESSLIST_WAITS_SQL = /* SQL */ `
  SELECT ID AS connection_id, DB AS db, STATE AS state, INFO AS info, TIME_MS AS time_ms
  FROM information_schema.PROCESSLIST
  WHERE STATE LIKE 'Waiting for%lock%' AND ID <> CONNECTION_ID()`;
export interface ProcesslistWaitRow {
  connection_id: number | string;
  db: string | null;
  state: string;
  info: string | null;
  /** MariaDB only (MySQL has TIME in seconds); null elsewhere. */
  time_ms: number | string | null;
}

/** MySQL's PROCESSLIST has no TIME_MS: the same in whole seconds. */
export const PROCESSLIST_WAITS_MYSQL_SQL = /* SQL */ `
  SELECT ID AS connection_id, DB AS db, STATE AS state, INFO AS info, TIME * 1000 AS time_ms
  FROM information_schema.PROCESSLIST
  WHERE STATE LIKE 'Waiting for%lock%' AND ID <> CONNECTION_ID()`;
