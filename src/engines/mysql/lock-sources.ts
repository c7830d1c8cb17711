/**
 * Where this server tells who holds and who waits for locks, decided once per server, and one
 * sample read from there. A tool-owned server always has performance_schema with the MDL
 * instrument; a user's server may have it off, then MariaDB's metadata_lock_info plugin gives the
 * holders and the processlist the waiters. The sources chosen are reported with the result.
 */
import type { RowDataPacket } from 'mysql2';
import type { MysqlConnection } from './client.js';
import {
  interpretMdl,
  interpretProcesslistWaits,
  interpretRowLockWaits,
  type MdlSnapshot,
  type ProcesslistWait,
  type RowLockWait,
} from './locks.js';
import {
  DATA_LOCK_WAITS_SQL,
  INNODB_LOCK_WAITS_SQL,
  LOCK_TABLES_SQL,
  type LockTableRow,
  MDL_INSTRUMENT_SQL,
  MDL_LOCKS_SQL,
  type MdlInstrumentRow,
  type MdlLockRow,
  METADATA_LOCK_INFO_SQL,
  PROCESSLIST_WAITS_MYSQL_SQL,
  PROCESSLIST_WAITS_SQL,
  type ProcesslistWaitRow,
  type RowLockWaitRow,
  SERVER_VERSION_SQL,
  type ServerVersionRow,
} from './sampler-sql.js';

export interface LockSources {
  /**
   * Metadata locks: waiters from performance_schema with the granted types from the
   * metadata_lock_info plugin (tool-owned servers), performance_schema alone (a granted lock that
   * was upgraded shows its first type there), the plugin alone (holders only), or none.
   */
  metadataLocks: 'performance_schema+metadata_lock_info' | 'performance_schema' | 'metadata_lock_info' | null;
  rowLocks: 'information_schema.INNODB_LOCK_WAITS' | 'performance_schema.data_lock_waits' | null;
  /** The processlist always names waiting sessions; MariaDB gives milliseconds. */
  processlist: 'mariadb' | 'mysql';
}

async function rows<T>(c: MysqlConnection, sql: string, values?: unknown[]): Promise<T[]> {
  const [result] = await c.query<RowDataPacket[]>(sql, values);
  return result as T[];
}

export async function detectLockSources(c: MysqlConnection): Promise<LockSources> {
  const tables = new Set((await rows<LockTableRow>(c, LOCK_TABLES_SQL)).map((r) => r.name.toLowerCase()));
  const [instrument] = await rows<MdlInstrumentRow>(c, MDL_INSTRUMENT_SQL).catch(() => []);
  const psOn = Number(instrument?.performance_schema ?? 0) === 1 && instrument?.mdl_instrument === 'YES';
  const [version] = await rows<ServerVersionRow>(c, SERVER_VERSION_SQL);
  const ps = psOn && tables.has('performance_schema.metadata_locks');
  // A table that is there may still be closed to this user (INNODB_LOCK_WAITS needs PROCESS).
  const readable = (sql: string, values?: unknown[]) =>
    rows(c, sql, values).then(
      () => true,
      () => false,
    );
  const plugin =
    tables.has('information_schema.metadata_lock_info') && (await readable(METADATA_LOCK_INFO_SQL));
  if (tables.has('information_schema.innodb_lock_waits') && !(await readable(INNODB_LOCK_WAITS_SQL)))
    tables.delete('information_schema.innodb_lock_waits');
  if (tables.has('performance_schema.data_lock_waits') && !(await readable(DATA_LOCK_WAITS_SQL)))
    tables.delete('performance_schema.data_lock_waits');
  return {
    metadataLocks:
      ps && plugin
        ? 'performance_schema+metadata_lock_info'
        : ps
          ? 'performance_schema'
          : plugin
            ? 'metadata_lock_info'
            : null,
    rowLocks: tables.has('information_schema.innodb_lock_waits')
      ? 'information_schema.INNODB_LOCK_WAITS'
      : tables.has('performance_schema.data_lock_waits')
        ? 'performance_schema.data_lock_waits'
        : null,
    processlist: /mariadb/i.test(version?.version ?? '') ? 'mariadb' : 'mysql',
  };
}

/**
 * InnoDB refreshes what information_schema.INNODB_TRX/LOCKS/LOCK_WAITS show only when nobody has
 * read them for 100 ms (trx0i_s.cc, CACHE_MIN_IDLE_TIME_US): read every 10 ms, they would freeze.
 * So row-lock waits from there are read at most this often; probes time the waits themselves.
 */
export const INNODB_LOCK_WAITS_MIN_GAP_MS = 120;

/** How long to leave between two reads of the row-lock source (0: every sample). */
export function rowWaitGapMs(sources: LockSources): number {
  return sources.rowLocks === 'information_schema.INNODB_LOCK_WAITS' ? INNODB_LOCK_WAITS_MIN_GAP_MS : 0;
}

export interface LockSample {
  /** Table metadata locks of the watched connections and of every contended table. */
  mdl: MdlSnapshot;
  /** null when this sample did not read them (see rowWaitGapMs). */
  rowWaits: RowLockWait[] | null;
  /** Sessions the processlist shows waiting for a lock (the fallback, and a cross-check). */
  processlistWaits: ProcesslistWait[];
}

/**
 * One sample. `watched` are the connections whose every lock is wanted (the migration's); other
 * connections' locks are read only on tables someone waits for.
 */
export async function readLockSample(
  c: MysqlConnection,
  sources: LockSources,
  watched: readonly number[],
  options: { rowWaits?: boolean } = {},
): Promise<LockSample> {
  const mdlRows = await metadataLockRows(c, sources, watched);
  const rowSql =
    sources.rowLocks === 'information_schema.INNODB_LOCK_WAITS'
      ? INNODB_LOCK_WAITS_SQL
      : sources.rowLocks === 'performance_schema.data_lock_waits'
        ? DATA_LOCK_WAITS_SQL
        : null;
  const readRows = rowSql !== null && options.rowWaits !== false;
  const rowRows = readRows ? await rows<RowLockWaitRow>(c, rowSql) : [];
  const plRows = await rows<ProcesslistWaitRow>(
    c,
    sources.processlist === 'mariadb' ? PROCESSLIST_WAITS_SQL : PROCESSLIST_WAITS_MYSQL_SQL,
  );
  return {
    mdl: interpretMdl(mdlRows),
    rowWaits: readRows || rowSql === null ? interpretRowLockWaits(rowRows) : null,
    processlistWaits: interpretProcesslistWaits(plRows),
  };
}

/** Table metadata locks from the sources there are; with both, granted types come from the plugin. */
async function metadataLockRows(
  c: MysqlConnection,
  sources: LockSources,
  watched: readonly number[],
): Promise<MdlLockRow[]> {
  const ids = watched.length > 0 ? [...watched] : [0];
  switch (sources.metadataLocks) {
    case 'performance_schema':
      return rows<MdlLockRow>(c, MDL_LOCKS_SQL, [ids]);
    case 'metadata_lock_info':
      return rows<MdlLockRow>(c, METADATA_LOCK_INFO_SQL);
    case 'performance_schema+metadata_lock_info': {
      const pending = (await rows<MdlLockRow>(c, MDL_LOCKS_SQL, [ids])).filter(
        (r) => r.lock_status !== 'GRANTED',
      );
      const contended = new Set(pending.map((r) => `${r.object_schema}.${r.object_name}`));
      const mine = new Set(ids);
      const granted = (await rows<MdlLockRow>(c, METADATA_LOCK_INFO_SQL)).filter(
        (r) => mine.has(Number(r.connection_id)) || contended.has(`${r.object_schema}.${r.object_name}`),
      );
      return [...granted, ...pending];
    }
    default:
      return [];
  }
}

/** Without a metadata-lock source, who blocks whom cannot be named: the result says so. */
export const NO_LOCK_HOLDERS =
  'none: lock holders cannot be named (this server has neither performance_schema with the ' +
  "wait/lock/metadata/sql/mdl instrument nor MariaDB's metadata_lock_info plugin; waiters come from the processlist only)";

/** What a result's `lock_source` says: the metadata-lock source, the row-lock one, or the warning. */
export function lockSourceNote(sources: LockSources): string {
  if (sources.metadataLocks === null) return NO_LOCK_HOLDERS;
  return sources.rowLocks
    ? `${sources.metadataLocks}; row locks: ${sources.rowLocks}`
    : sources.metadataLocks;
}
