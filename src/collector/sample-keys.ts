/**
 * Keys the application would use: for a relation, the column a keyed lookup goes through (primary
 * key, else a unique index, else any index), and values of it drawn from across the table, so a
 * probe or a workload statement hits rows all over it — as often as the application would hit the
 * rows a backfill is holding.
 */
import type pg from 'pg';
import { quoteIdent } from '../util/pg.js';

export interface KeyColumn {
  schema: string;
  table: string;
  column: string;
  /** How the column was chosen: a lookup through an index, or (no index at all) by physical row id. */
  via: 'primary_key' | 'unique_index' | 'index' | 'ctid';
}

/** How many key values to draw per relation by default. */
export const DEFAULT_KEY_SAMPLE = 256;

/**
 * The leading column of the best index on the relation: primary key, then unique, then any valid
 * btree index; a table without one is looked up by `ctid` (a TID scan, which still plans as a read).
 */
const KEY_COLUMN_SQL = `
  SELECT a.attname AS column,
         CASE WHEN i.indisprimary THEN 'primary_key' WHEN i.indisunique THEN 'unique_index' ELSE 'index' END AS via
  FROM pg_index i
  JOIN pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_am am ON am.oid = ic.relam AND am.amname = 'btree'
  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
  WHERE i.indrelid = to_regclass($1) AND i.indisvalid AND i.indkey[0] <> 0 AND i.indpred IS NULL
  ORDER BY i.indisprimary DESC, i.indisunique DESC, i.indnatts, ic.relname
  LIMIT 1`;

/** The planner's row estimate, to choose a sampling rate that reads only a few pages. */
const ROW_ESTIMATE_SQL = `SELECT greatest(reltuples, 0)::float8 AS n FROM pg_class WHERE oid = to_regclass($1)`;

export async function findKeyColumn(
  client: pg.Client,
  target: { schema: string; table: string },
): Promise<KeyColumn> {
  const qualified = `${quoteIdent(target.schema)}.${quoteIdent(target.table)}`;
  const row = (await client.query<{ column: string; via: KeyColumn['via'] }>(KEY_COLUMN_SQL, [qualified]))
    .rows[0];
  return row ? { ...target, column: row.column, via: row.via } : { ...target, column: 'ctid', via: 'ctid' };
}

/**
 * Up to `limit` values of the key column, as text (the server casts a text parameter to the
 * column's type), spread over the whole table: block sampling reads a few pages from all of it,
 * and a small or never-analysed table is read whole.
 */
export async function sampleKeyValues(
  client: pg.Client,
  key: Pick<KeyColumn, 'schema' | 'table' | 'column'>,
  limit = DEFAULT_KEY_SAMPLE,
): Promise<string[]> {
  const qualified = `${quoteIdent(key.schema)}.${quoteIdent(key.table)}`;
  const column = key.column === 'ctid' ? 'ctid' : quoteIdent(key.column);
  const estimate = Number((await client.query<{ n: number }>(ROW_ESTIMATE_SQL, [qualified])).rows[0]?.n ?? 0);
  // Four times the values wanted, as a share of the rows; below 1,000 rows (or unknown) read it all.
  const percent = estimate > 1000 ? Math.min(100, ((limit * 4) / estimate) * 100) : 100;
  const sampled = percent < 100 ? ` TABLESAMPLE SYSTEM (${percent.toFixed(6)})` : '';
  const sql = `SELECT ${column}::text AS v FROM ${qualified}${sampled} WHERE ${column} IS NOT NULL LIMIT ${limit * 4}`;
  let values = (await client.query<{ v: string }>(sql)).rows.map((r) => r.v);
  if (values.length === 0 && sampled) {
    // A stale estimate can make the sample miss every page: take the first rows instead.
    values = (
      await client.query<{ v: string }>(
        `SELECT ${column}::text AS v FROM ${qualified} WHERE ${column} IS NOT NULL LIMIT ${limit}`,
      )
    ).rows.map((r) => r.v);
  }
  return spread(values, limit);
}

/** Keep `limit` values evenly from a list (the sample comes in physical order, so this keeps the spread). */
function spread<T>(values: readonly T[], limit: number): T[] {
  if (values.length <= limit) return [...values];
  const step = values.length / limit;
  return Array.from({ length: limit }, (_, i) => values[Math.floor(i * step)]!);
}
