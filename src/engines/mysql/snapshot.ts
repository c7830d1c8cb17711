/**
 * Read the facts a before/after comparison needs from a MySQL/MariaDB database: per table its
 * sizes, identity (table id + tablespace: changed means rebuilt), exact rows and checksum, and the
 * server's redo position. Runs on a session of its own; never changes anything.
 */
import type { RowDataPacket } from 'mysql2';
import { type MysqlConnection, quoteMysqlIdent } from './client.js';
import { relationKey } from './locks.js';
import {
  type ChecksumRow,
  checksumSql,
  INNODB_SYS_TABLES_SQL,
  INNODB_TABLES_SQL,
  type InnodbTableRow,
  REDO_LSN_SQL,
  type RedoLsnRow,
  type RowCountRow,
  rowCountSql,
  TABLES_SQL,
  type TableRow,
} from './snapshot-sql.js';

export interface TableIdentity {
  tableId: string;
  space: string;
}

export interface TableSnapshot {
  /** `<database>.<table>` */
  relation: string;
  engine: string | null;
  dataBytes: number;
  indexBytes: number;
  freeBytes: number;
  /** null for a table InnoDB's dictionary does not show (another engine, an undecodable name). */
  identity: TableIdentity | null;
}

async function rows<T>(c: MysqlConnection, sql: string, values?: unknown[]): Promise<T[]> {
  const [result] = await c.query<RowDataPacket[]>(sql, values);
  return result as T[];
}

/**
 * InnoDB names tables by their file names: `[0-9A-Za-z_]` as is, other characters as `@xxxx`
 * (hex code point). A few letters have shorter codes (`@0G`…); such names decode to null.
 */
export function decodeInnodbName(name: string): string | null {
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const ch = name[i] as string;
    if (ch !== '@') {
      out += ch;
      continue;
    }
    const hex = name.slice(i + 1, i + 5);
    if (!/^[0-9a-f]{4}$/i.test(hex)) return null;
    out += String.fromCharCode(Number.parseInt(hex, 16));
    i += 4;
  }
  return out;
}

const accessDenied = (err: unknown) => (err as { errno?: number }).errno === 1227; // needs PROCESS

/**
 * InnoDB identities by relation key, from whichever dictionary table this server has; none when
 * the user may not read them (no PROCESS privilege, a user's own server): rebuilds are unknown then.
 */
export async function innodbIdentities(c: MysqlConnection): Promise<Map<string, TableIdentity>> {
  let denied = false;
  const found = await rows<InnodbTableRow>(c, INNODB_SYS_TABLES_SQL)
    .catch((err) => {
      denied = accessDenied(err);
      return rows<InnodbTableRow>(c, INNODB_TABLES_SQL);
    })
    .catch((err) => {
      if (denied || accessDenied(err)) return [] as InnodbTableRow[];
      throw err;
    });
  const out = new Map<string, TableIdentity>();
  for (const r of found) {
    const slash = r.name.indexOf('/');
    const db = decodeInnodbName(r.name.slice(0, slash));
    const table = decodeInnodbName(r.name.slice(slash + 1));
    if (db !== null && table !== null) {
      out.set(relationKey(db, table), { tableId: String(r.table_id), space: String(r.space) });
    }
  }
  return out;
}

export async function tableSnapshots(c: MysqlConnection, database: string): Promise<TableSnapshot[]> {
  const identities = await innodbIdentities(c);
  return (await rows<TableRow>(c, TABLES_SQL, [database])).map((t) => {
    const relation = relationKey(database, t.table_name);
    return {
      relation,
      engine: t.engine,
      dataBytes: Number(t.data_bytes ?? 0),
      indexBytes: Number(t.index_bytes ?? 0),
      freeBytes: Number(t.free_bytes ?? 0),
      identity: identities.get(relation) ?? null,
    };
  });
}

/** A table was rebuilt when its InnoDB table id or tablespace changed (unknown when either is missing). */
export function rebuilt(before: TableIdentity | null, after: TableIdentity | null): boolean | null {
  if (!before || !after) return null;
  return before.tableId !== after.tableId || before.space !== after.space;
}

const qualified = (database: string, table: string) =>
  `${quoteMysqlIdent(database)}.${quoteMysqlIdent(table)}`;

export async function exactRowCount(c: MysqlConnection, database: string, table: string): Promise<number> {
  const [r] = await rows<RowCountRow>(c, rowCountSql(qualified(database, table)));
  return Number(r?.n ?? 0);
}

/** CHECKSUM TABLE: the same rows give the same number (null when the table is gone). */
export async function tableChecksum(
  c: MysqlConnection,
  database: string,
  table: string,
): Promise<string | null> {
  const [r] = await rows<ChecksumRow>(c, checksumSql(qualified(database, table)));
  return r?.Checksum == null ? null : String(r.Checksum);
}

/** The redo log position in bytes (MariaDB); the difference of two is the migration's redo bytes. */
export async function redoLsn(c: MysqlConnection): Promise<bigint | null> {
  const [r] = await rows<RedoLsnRow>(c, REDO_LSN_SQL);
  return r ? BigInt(r.lsn) : null;
}
