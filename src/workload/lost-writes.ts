/**
 * Writes that must survive: after the migration, every write the workload committed is looked up
 * in the final schema — a row of the table it wrote (as the application names it now) with every
 * value its RETURNING clause gave back. A copy-and-swap that misses the rows written during the
 * copy shows up here with the count, and where the rows ended up.
 */
import type pg from 'pg';
import { quoteIdent } from '../util/pg.js';
import type { TableRef } from './file.js';
import { qualifiedRef, resolveTable } from './params.js';
import type { CommittedWrite } from './runner.js';

export interface CommittedWritesReport {
  /** Distinct rows the workload committed (the last write per key). */
  committed: number;
  /** Of those, committed while the migration ran. */
  committed_during_migration: number;
  /** Looked up in the final schema. */
  checked: number;
  missing: number;
  missing_during_migration: number;
  /** Could not be looked up: a returned column is gone, or the key came back NULL. */
  unverifiable: number;
  /** Where missing rows were found instead: other tables with the same columns. */
  found_in: Record<string, number>;
  problems: string[];
}

const COLUMN_TYPES_SQL = `
  SELECT a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type
  FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
    AND a.attname = ANY($2::text[])`;
/** Other tables that have every one of the columns: where a swap may have left the rows. */
const LOOKALIKE_TABLES_SQL = `
  SELECT format('%I.%I', n.nspname, c.relname) AS name
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p') AND c.oid <> to_regclass($1)
    AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
    AND (SELECT count(*) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0
           AND NOT a.attisdropped AND a.attname = ANY($2::text[])) = cardinality($2::text[])
  ORDER BY 1 LIMIT 10`;

/** Keep the last committed write per row (its first returned value), so an update's later write wins. */
function latestPerRow(writes: readonly CommittedWrite[]): CommittedWrite[] {
  const byKey = new Map<string, CommittedWrite>();
  for (const w of [...writes].sort((a, b) => a.end - b.end)) {
    byKey.set(JSON.stringify([w.target, w.columns[0], w.values[0]]), w);
  }
  return [...byKey.values()];
}

/**
 * Which of `rows` (index, values) have no matching row in `table`. The first column is compared
 * with `=` so an index on the key is used; the rest with IS NOT DISTINCT FROM.
 */
async function unmatched(
  client: pg.Client,
  table: string,
  columns: readonly { column: string; type: string }[],
  rows: readonly (string | null)[][],
  wantMissing: boolean,
): Promise<number[]> {
  const arrays = columns.map((_, c) => rows.map((r) => r[c] ?? null));
  const aliases = columns.map((_, c) => `v${c}`);
  const unnest = [`$1::int[]`, ...columns.map((_, c) => `$${c + 2}::text[]`)].join(', ');
  const match = columns
    .map(
      (col, c) =>
        `x.${quoteIdent(col.column)} ${c === 0 ? '=' : 'IS NOT DISTINCT FROM'} t.${aliases[c]}::${col.type}`,
    )
    .join(' AND ');
  const sql = `SELECT t.i FROM unnest(${unnest}) AS t(i, ${aliases.join(', ')})
    WHERE ${wantMissing ? 'NOT ' : ''}EXISTS (SELECT 1 FROM ${table} x WHERE ${match})`;
  const indexes = rows.map((_, i) => i);
  const r = await client.query<{ i: number }>(sql, [indexes, ...arrays]);
  return r.rows.map((x) => x.i);
}

/**
 * What looking committed writes up needs from an engine, for tables `T` and typed columns `C`:
 * the table a write went to as the application names it now, the columns' current types, which
 * rows have (or lack) a matching row, and other tables with the same columns.
 */
export interface CommittedWriteLookup<T, C> {
  /** The written table's name for grouping and messages, as the workload named it. */
  written(target: TableRef): string;
  resolve(target: TableRef): Promise<T | null>;
  /** A resolved table's name in messages and in `found_in`. */
  nameOf(table: T): string;
  /** Each named column's current type, undefined where the column is gone. */
  columnTypes(table: T, columns: readonly string[]): Promise<(C | undefined)[]>;
  /** Indexes of `rows` with no matching row in `table` (wantMissing), or with one. */
  matching(
    table: T,
    columns: readonly C[],
    rows: readonly (string | null)[][],
    wantMissing: boolean,
  ): Promise<number[]>;
  /** Other tables with every one of the columns (where a swap may have left the rows). */
  lookalikes(table: T, columns: readonly C[]): Promise<T[]>;
}

/** Look every committed write up after the migration, through an engine's lookup. */
export async function checkWritesWith<T, C>(
  lookup: CommittedWriteLookup<T, C>,
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
    const key = JSON.stringify([lookup.written(w.target), w.columns]);
    groups.set(key, [...(groups.get(key) ?? []), w]);
  }
  for (const group of groups.values()) {
    const { target, columns } = group[0]!;
    const countMissing = (missing: CommittedWrite[]) => {
      report.checked += group.length;
      report.missing += missing.length;
      report.missing_during_migration += missing.filter(during).length;
    };
    const table = await lookup.resolve(target);
    if (!table) {
      countMissing(group);
      report.problems.push(
        `table ${lookup.written(target)}, which ${group.length} committed writes went to, no longer exists`,
      );
      continue;
    }
    const name = lookup.nameOf(table);
    const typed = await lookup.columnTypes(table, columns);
    if (typed.some((t) => !t)) {
      report.unverifiable += group.length;
      const gone = columns.filter((_, i) => !typed[i]);
      report.problems.push(
        `${name} has no column ${gone.join(', ')} any more: ${group.length} committed writes cannot be checked`,
      );
      continue;
    }
    const cols = typed as C[];
    const values = group.map((w) => w.values);
    let missingIdx: number[];
    try {
      missingIdx = await lookup.matching(table, cols, values, true);
    } catch (err) {
      report.unverifiable += group.length;
      report.problems.push(`committed writes to ${name} could not be checked: ${(err as Error).message}`);
      continue;
    }
    const missing = missingIdx.map((i) => group[i]!);
    countMissing(missing);
    if (missing.length === 0) continue;
    for (const other of await lookup.lookalikes(table, cols)) {
      const found = await lookup
        .matching(
          other,
          cols,
          missing.map((w) => w.values),
          false,
        )
        .catch(() => []);
      if (found.length > 0) report.found_in[lookup.nameOf(other)] = found.length;
    }
  }
  return report;
}

type PgColumn = { column: string; type: string };

/** PostgreSQL: tables by their quoted, qualified names; values cast to the columns' current types. */
export function checkCommittedWrites(
  client: pg.Client,
  writes: readonly CommittedWrite[],
  migration: { start: number; end: number },
): Promise<CommittedWritesReport> {
  const lookup: CommittedWriteLookup<string, PgColumn> = {
    written: qualifiedRef,
    resolve: async (target) => (await resolveTable(client, target))?.name ?? null,
    nameOf: (table) => table,
    async columnTypes(table, columns) {
      const types = (await client.query<PgColumn>(COLUMN_TYPES_SQL, [table, columns])).rows;
      return columns.map((c) => types.find((t) => t.column === c));
    },
    matching: (table, columns, rows, wantMissing) => unmatched(client, table, columns, rows, wantMissing),
    async lookalikes(table, columns) {
      const names = columns.map((c) => c.column);
      return (await client.query<{ name: string }>(LOOKALIKE_TABLES_SQL, [table, names])).rows.map(
        (r) => r.name,
      );
    },
  };
  return checkWritesWith(lookup, writes, migration);
}
