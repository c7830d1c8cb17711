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

/** Pages of the relation (of all its partitions, for a partitioned table), from its size on disk. */
const PAGES_SQL = `
  SELECT CASE WHEN c.relkind = 'p'
           THEN (SELECT coalesce(sum(pg_relation_size(t.relid)), 0) FROM pg_partition_tree(c.oid) t)
           ELSE pg_relation_size(c.oid) END::float8 / current_setting('block_size')::float8 AS pages
  FROM pg_class c WHERE c.oid = to_regclass($1)`;

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
 * column's type), spread over the whole table: one row from each of about 2 × `limit` pages
 * sampled from all of it (so a backfill sweeping the table meets a sampled key as early as it
 * would meet the application's), and a small table is sampled row by row from all of it.
 */
export async function sampleKeyValues(
  client: pg.Client,
  key: Pick<KeyColumn, 'schema' | 'table' | 'column'>,
  limit = DEFAULT_KEY_SAMPLE,
): Promise<string[]> {
  const qualified = `${quoteIdent(key.schema)}.${quoteIdent(key.table)}`;
  const column = key.column === 'ctid' ? 'ctid' : quoteIdent(key.column);
  const pages = Number((await client.query<{ pages: number }>(PAGES_SQL, [qualified])).rows[0]?.pages ?? 0);
  const wantedPages = limit * 2;
  if (pages <= wantedPages) {
    const sql = `SELECT ${column}::text AS v FROM ${qualified} WHERE ${column} IS NOT NULL ORDER BY random() LIMIT ${limit}`;
    return (await client.query<{ v: string }>(sql)).rows.map((r) => r.v);
  }
  const percent = Math.min(100, (wantedPages / pages) * 100);
  // One row per sampled page: the block number is the first part of a row's ctid.
  const sql = `SELECT DISTINCT ON ((ctid::text::point)[0]) ${column}::text AS v
    FROM ${qualified} TABLESAMPLE SYSTEM (${percent.toFixed(6)}) WHERE ${column} IS NOT NULL`;
  let values = (await client.query<{ v: string }>(sql)).rows.map((r) => r.v);
  if (values.length === 0) {
    // An unlucky sample of empty pages: take the first rows instead.
    values = (
      await client.query<{ v: string }>(
        `SELECT ${column}::text AS v FROM ${qualified} WHERE ${column} IS NOT NULL LIMIT ${limit}`,
      )
    ).rows.map((r) => r.v);
  }
  return spread(shuffle(values), limit);
}

function shuffle<T>(values: T[]): T[] {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [values[i], values[j]] = [values[j]!, values[i]!];
  }
  return values;
}

/** Keep `limit` values evenly from a list (the sample comes in physical order, so this keeps the spread). */
function spread<T>(values: readonly T[], limit: number): T[] {
  if (values.length <= limit) return [...values];
  const step = values.length / limit;
  return Array.from({ length: limit }, (_, i) => values[Math.floor(i * step)]!);
}
