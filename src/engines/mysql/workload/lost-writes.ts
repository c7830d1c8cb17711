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
import type { CommittedWritesReport } from '../../../workload/lost-writes.js';
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

/** Keep the last committed write per row (its first returned value). */
function latestPerRow(writes: readonly CommittedWrite[]): CommittedWrite[] {
  const byKey = new Map<string, CommittedWrite>();
  for (const w of [...writes].sort((a, b) => a.end - b.end)) {
    byKey.set(JSON.stringify([w.target, w.columns[0], w.values[0]]), w);
  }
  return [...byKey.values()];
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
export async function checkMysqlCommittedWrites(
  c: MysqlConnection,
  database: string,
  writes: readonly CommittedWrite[],
  migration: { start: number; end: number },
): Promise<CommittedWritesReport> {
  const rows = latestPerRow(writes);
  const during = (w: CommittedWrite) => w.end >= migration.start && w.end <= migration.end;
  const report: CommittedWritesReport = {
    committed: rows.length,
    committed_during_migration: rows.filter(during).length,
    checked: 0,
    missing: 0,
    missing_during_migration: 0,
    unverifiable: 0,
    found_in: {},
    problems: [],
  };
  const groups = new Map<string, CommittedWrite[]>();
  for (const w of rows) {
    if (w.values[0] === null || w.columns.length === 0) {
      report.unverifiable++;
      continue;
    }
    const key = JSON.stringify([w.target, w.columns]);
    groups.set(key, [...(groups.get(key) ?? []), w]);
  }
  for (const group of groups.values()) {
    const { target, columns } = group[0]!;
    const written = target.schema
      ? relationKey(target.schema, target.table)
      : relationKey(database, target.table);
    const countMissing = (missing: CommittedWrite[]) => {
      report.checked += group.length;
      report.missing += missing.length;
      report.missing_during_migration += missing.filter(during).length;
    };
    const table = await resolveMysqlTable(c, database, target);
    if (!table) {
      countMissing(group);
      report.problems.push(
        `table ${written}, which ${group.length} committed writes went to, no longer exists`,
      );
      continue;
    }
    const [typeRows] = await c.query<RowDataPacket[]>(COLUMN_TYPES_SQL, [table.schema, table.table]);
    const types = typeRows as ColumnType[];
    const typed = columns.map((name) => types.find((t) => t.name.toLowerCase() === name.toLowerCase()));
    if (typed.some((t) => !t)) {
      report.unverifiable += group.length;
      const gone = columns.filter((_, i) => !typed[i]);
      report.problems.push(
        `${table.name} has no column ${gone.join(', ')} any more: ${group.length} committed writes cannot be checked`,
      );
      continue;
    }
    const cols = typed as ColumnType[];
    let missing: CommittedWrite[];
    try {
      const idx = await matching(
        c,
        table.schema,
        table.table,
        cols,
        group.map((w) => w.values),
        true,
      );
      missing = idx.map((i) => group[i]!);
    } catch (err) {
      report.unverifiable += group.length;
      report.problems.push(
        `committed writes to ${table.name} could not be checked: ${(err as Error).message}`,
      );
      continue;
    }
    countMissing(missing);
    if (missing.length === 0) continue;
    const [others] = await c.query<RowDataPacket[]>(LOOKALIKE_TABLES_SQL, [
      table.schema,
      table.table,
      cols.map((col) => col.name),
      cols.length,
    ]);
    for (const { name } of others as Array<{ name: string }>) {
      const found = await matching(
        c,
        table.schema,
        name,
        cols,
        missing.map((w) => w.values),
        false,
      ).catch(() => []);
      if (found.length > 0) report.found_in[relationKey(table.schema, name)] = found.length;
    }
  }
  return report;
}
