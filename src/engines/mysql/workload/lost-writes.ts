/**
 * Writes that must survive, on MySQL/MariaDB (as src/workload/lost-writes.ts on PostgreSQL): after
 * the migration every write the workload committed is looked up in the final schema — a row of the
 * table it wrote (as the application names it now) with every value its RETURNING gave back. The
 * first column is compared with `=` (its index is used), the rest with `<=>` (NULL-safe), each
 * value cast to the column's type as it is now (a DECIMAL(10,2) widened to (12,3) still matches),
 * strings compared under the column's collation, binary strings as bytes. Missing rows are looked
 * for in the database's other tables with the same columns (the `_old` side of a swap).
 */
import type { RowDataPacket } from 'mysql2';
import {
  type CommittedWriteLookup,
  type CommittedWritesReport,
  checkWritesWith,
} from '../../../workload/lost-writes.js';
import type { ResolvedTable } from '../../../workload/params.js';
import type { CommittedWrite } from '../../../workload/runner.js';
import { type MysqlConnection, quoteMysqlIdent } from '../client.js';
import { relationKey } from '../locks.js';
import { resolveMysqlTable } from './driver.js';
import { stringLiteral } from './statement.js';

export const COLUMN_TYPES_SQL = /* SQL */ `
  SELECT COLUMN_NAME AS name, DATA_TYPE AS type, COLUMN_TYPE AS column_type,
         NUMERIC_PRECISION AS num_precision, NUMERIC_SCALE AS num_scale, DATETIME_PRECISION AS dt_precision
  FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`;
/** Other base tables of the database that have every one of the columns. */
export const LOOKALIKE_TABLES_SQL = /* SQL */ `
  SELECT c.TABLE_NAME AS name FROM information_schema.COLUMNS c
  JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME
  WHERE c.TABLE_SCHEMA = ? AND c.TABLE_NAME <> ? AND c.COLUMN_NAME IN (?) AND t.TABLE_TYPE = 'BASE TABLE'
  GROUP BY c.TABLE_NAME HAVING COUNT(*) = ? ORDER BY 1 LIMIT 10`;
/** Rows looked up per statement. */
const BATCH = 200;

interface ColumnType {
  name: string;
  type: string;
  column_type: string;
  num_precision: string | number | null;
  num_scale: string | number | null;
  dt_precision: string | number | null;
}

const BINARY = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']);
const INTEGER = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint']);
const int = (v: string | number | null) => Math.max(0, Math.min(65, Number(v ?? 0) || 0));

/** A returned value as a literal of the column's current type. */
export function typedLiteral(col: ColumnType, value: string | null): string {
  if (value === null) return 'NULL';
  if (BINARY.has(col.type)) {
    // Recorded as hex (driver.ts); anything else was written to a column that was not binary then.
    return /^(?:[0-9a-f]{2})*$/.test(value) ? `X'${value}'` : stringLiteral(value);
  }
  const s = stringLiteral(value);
  if (INTEGER.has(col.type))
    return `CAST(${s} AS ${/unsigned/i.test(col.column_type) ? 'UNSIGNED' : 'SIGNED'})`;
  if (col.type === 'decimal')
    return `CAST(${s} AS DECIMAL(${int(col.num_precision)}, ${int(col.num_scale)}))`;
  if (col.type === 'float' || col.type === 'double') return `CAST(${s} AS DOUBLE)`;
  if (col.type === 'date') return `CAST(${s} AS DATE)`;
  if (col.type === 'datetime' || col.type === 'timestamp')
    return `CAST(${s} AS DATETIME(${int(col.dt_precision)}))`;
  if (col.type === 'time') return `CAST(${s} AS TIME(${int(col.dt_precision)}))`;
  return s;
}

/** Which of `rows` have (wantMissing) or do not have a matching row in `db.table`. */
async function matching(
  c: MysqlConnection,
  db: string,
  table: string,
  cols: readonly ColumnType[],
  rows: readonly (string | null)[][],
  wantMissing: boolean,
): Promise<number[]> {
  const from = `${quoteMysqlIdent(db)}.${quoteMysqlIdent(table)}`;
  const out: number[] = [];
  for (let b = 0; b < rows.length; b += BATCH) {
    const parts = rows.slice(b, b + BATCH).map((values, k) => {
      const match = cols
        .map(
          (col, i) =>
            `x.${quoteMysqlIdent(col.name)} ${i === 0 ? '=' : '<=>'} ${typedLiteral(col, values[i] ?? null)}`,
        )
        .join(' AND ');
      return `SELECT ${b + k} AS i FROM DUAL WHERE ${wantMissing ? 'NOT ' : ''}EXISTS (SELECT 1 FROM ${from} x WHERE ${match})`;
    });
    const [found] = await c.query<RowDataPacket[]>(parts.join(' UNION ALL '));
    for (const r of found) out.push(Number(r.i));
  }
  return out;
}

/** Look every committed write up in `database` as it is after the migration (tool user's connection). */
export function checkMysqlCommittedWrites(
  c: MysqlConnection,
  database: string,
  writes: readonly CommittedWrite[],
  migration: { start: number; end: number },
): Promise<CommittedWritesReport> {
  const lookup: CommittedWriteLookup<ResolvedTable, ColumnType> = {
    written: (target) => relationKey(target.schema ?? database, target.table),
    resolve: (target) => resolveMysqlTable(c, database, target),
    nameOf: (table) => table.name,
    async columnTypes(table, columns) {
      const [rows] = await c.query<RowDataPacket[]>(COLUMN_TYPES_SQL, [table.schema, table.table]);
      const types = rows as ColumnType[];
      return columns.map((name) => types.find((t) => t.name.toLowerCase() === name.toLowerCase()));
    },
    matching: (table, columns, rows, wantMissing) =>
      matching(c, table.schema, table.table, columns, rows, wantMissing),
    async lookalikes(table, columns) {
      const [rows] = await c.query<RowDataPacket[]>(LOOKALIKE_TABLES_SQL, [
        table.schema,
        table.table,
        columns.map((col) => col.name),
        columns.length,
      ]);
      return (rows as Array<{ name: string }>).map(({ name }) => ({
        schema: table.schema,
        table: name,
        name: relationKey(table.schema, name),
      }));
    },
  };
  return checkWritesWith(lookup, writes, migration);
}
