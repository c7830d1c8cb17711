/**
 * A logical copy of one database into a new one on the same MySQL/MariaDB server: the fallback for
 * a user's own server, whose data directory vers-db cannot reach (logical-driver.ts). Every table
 * is re-created from SHOW CREATE TABLE (indexes, foreign keys, partitions kept) and filled with
 * INSERT … SELECT inside one consistent-snapshot transaction; then views, triggers and routines
 * are re-created from the server's own SHOW CREATE text, their DEFINER dropped (they run as the
 * copying user) and references to the copied database pointed at the copy. What cannot be copied
 * fails the copy with its names (the partial copy is dropped); events are never copied (they would
 * run on their own in every branch) and are named in the returned notes.
 *
 * The cost is every row read and written again: proportional to the data, unlike a tool-owned
 * server's file copy. Tables are read with the snapshot of one transaction; on InnoDB that is
 * consistent, other engines (MyISAM) are read as they are at that moment.
 */
import type { RowDataPacket } from 'mysql2';
import { BackendError } from '../../errors.js';
import { createDatabaseSql, DATABASE_SIZE_SQL, dropDatabaseSql } from './admin-sql.js';
import type { MysqlConnection } from './client.js';
import { relationKey } from './locks.js';
import {
  analyzeTableSql,
  BASE_TABLES_SQL,
  CONSISTENT_SNAPSHOT_SQL,
  COPY_SESSION_SQL,
  EVENTS_SQL,
  INSERTABLE_COLUMNS_SQL,
  insertSelectSql,
  q,
  ROUTINES_SQL,
  showCreateRoutineSql,
  showCreateTableSql,
  showCreateTriggerSql,
  showCreateViewSql,
  TRIGGERS_SQL,
  useSql,
  VIEWS_SQL,
} from './logical-copy-sql.js';
import { exactRowCount, tableChecksum } from './snapshot.js';

export interface LogicalCopyStats {
  tables: number;
  rows: number;
  /** The copy's data and index bytes (InnoDB's estimate after ANALYZE): what was written again. */
  bytes: number;
  views: number;
  triggers: number;
  routines: number;
  durationMs: number;
  /** What was deliberately left out (events). */
  notes: string[];
}

type Named = { name: string };

async function rows<T>(c: MysqlConnection, sql: string, values?: unknown[]): Promise<T[]> {
  const [result] = await c.query<RowDataPacket[]>(sql, values);
  return result as unknown as T[];
}

/** The CREATE text of a SHOW CREATE row (its column name differs per object kind). */
function createText(row: Record<string, unknown> | undefined, column: string, what?: string): string {
  const text = row?.[column];
  if (typeof text !== 'string' || text === '') {
    const why = 'the server does not show its definition to this user';
    throw new BackendError(what ? `${what}: ${why}` : why);
  }
  return text;
}

const DEFINER =
  /\bDEFINER\s*=\s*(?:`(?:[^`]|``)*`|'[^']*'|[\w.%-]+)(?:\s*@\s*(?:`(?:[^`]|``)*`|'[^']*'|[\w.%-]+))?\s*/i;

/** The server's CREATE text made to run in the copy: no DEFINER, the copied database renamed. */
export function retarget(text: string, from: string, to: string): string {
  return text.replace(DEFINER, '').replaceAll(`${q(from)}.`, `${q(to)}.`);
}

/**
 * Copy database `from` into a new database `to` on the server `c` is connected to. `c` must be a
 * session of its own (its current database and session settings change).
 */
export async function copyDatabase(c: MysqlConnection, from: string, to: string): Promise<LogicalCopyStats> {
  const t0 = performance.now();
  await c.query(createDatabaseSql(to));
  try {
    await c.query(useSql(to));
    await c.query(COPY_SESSION_SQL);
    const tables = (await rows<Named>(c, BASE_TABLES_SQL, [from])).map((r) => r.name);
    for (const t of tables) {
      const [row] = await rows<Record<string, unknown>>(c, showCreateTableSql(from, t));
      await c.query(createText(row, 'Create Table', `table ${t}`));
    }
    let copied = 0;
    await c.query(CONSISTENT_SNAPSHOT_SQL);
    for (const t of tables) {
      const columns = (await rows<Named>(c, INSERTABLE_COLUMNS_SQL, [from, t])).map((r) => r.name);
      const [result] = await c.query(insertSelectSql(from, to, t, columns));
      copied += Number((result as { affectedRows?: number }).affectedRows ?? 0);
    }
    await c.query('COMMIT');
    // The copy's statistics refreshed (only the copy's: the user's tables are left alone), so
    // its size is not the stale estimate a table shows right after a bulk load.
    for (const t of tables) await c.query(analyzeTableSql(to, t));
    const [size] = await rows<{ bytes: unknown }>(c, DATABASE_SIZE_SQL, [to]);
    const failed: string[] = [];
    const views = await recreate(c, from, to, VIEWS_SQL, 'view', failed, (v) => [
      showCreateViewSql(from, v.name),
      'Create View',
    ]);
    const routines = await recreate(c, from, to, ROUTINES_SQL, 'routine', failed, (r) => [
      showCreateRoutineSql(from, r.name, String(r.type)),
      r.type === 'FUNCTION' ? 'Create Function' : 'Create Procedure',
    ]);
    const triggers = await recreate(c, from, to, TRIGGERS_SQL, 'trigger', failed, (t) => [
      showCreateTriggerSql(from, t.name),
      'SQL Original Statement',
    ]);
    if (failed.length > 0) {
      throw new BackendError(`cannot copy database ${from} logically: ${failed.join('; ')}`, {
        hint: 'the copying user needs to see and create these objects (SHOW VIEW, CREATE ROUTINE, TRIGGER); or use a tool-owned server (`vers-db up --engine mysql`)',
      });
    }
    const events = (await rows<Named>(c, EVENTS_SQL, [from])).map((r) => r.name);
    return {
      tables: tables.length,
      rows: copied,
      bytes: Number(size?.bytes ?? 0),
      views,
      triggers,
      routines,
      durationMs: Math.round(performance.now() - t0),
      notes:
        events.length > 0 ? [`events not copied (they would run in every branch): ${events.join(', ')}`] : [],
    };
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    await c.query(dropDatabaseSql(to)).catch(() => undefined);
    throw err;
  }
}

/** Re-create one kind of object in order; views over views are retried until no more succeed. */
async function recreate(
  c: MysqlConnection,
  from: string,
  to: string,
  listSql: string,
  kind: string,
  failed: string[],
  show: (r: Named & { type?: unknown }) => [string, string],
): Promise<number> {
  let pending = await rows<Named & { type?: unknown }>(c, listSql, [from]);
  let made = 0;
  while (pending.length > 0) {
    const left: typeof pending = [];
    const errors = new Map<string, string>();
    for (const r of pending) {
      try {
        const [sql, column] = show(r);
        const [row] = await rows<Record<string, unknown>>(c, sql);
        await c.query(retarget(createText(row, column), from, to));
        made++;
      } catch (err) {
        left.push(r);
        errors.set(r.name, (err as Error).message);
      }
    }
    if (left.length === pending.length) {
      for (const r of left) failed.push(`${kind} ${r.name}: ${errors.get(r.name)}`);
      break;
    }
    pending = left;
  }
  return made;
}

export interface CopyFacts {
  rowCounts: Record<string, number>;
  checksums: Record<string, string>;
}

/**
 * Exact rows and CHECKSUM TABLE of every base table of the copy `database`, keyed as the copied
 * database's relations (`<as>.<table>`): what a checkpoint is sealed with and verified against.
 */
export async function copyFacts(c: MysqlConnection, database: string, as: string): Promise<CopyFacts> {
  const rowCounts: Record<string, number> = {};
  const checksums: Record<string, string> = {};
  for (const t of (await rows<Named>(c, BASE_TABLES_SQL, [database])).map((r) => r.name)) {
    const key = relationKey(as, t);
    rowCounts[key] = await exactRowCount(c, database, t);
    const sum = await tableChecksum(c, database, t);
    if (sum !== null) checksums[key] = sum;
  }
  return { rowCounts, checksums };
}
