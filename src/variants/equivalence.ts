/**
 * Does a strategy end where the original ends? The same logical schema (compared by name, so
 * column order does not matter; ownership is not in the snapshot) and the same data: a
 * fingerprint of every table's rows over its columns in name order, leaving out the columns a
 * volatile expression filled. Read on each branch right after its run, while nothing else
 * writes to it.
 */
import type pg from 'pg';
import { diffSchemas, type SchemaSnapshot, snapshotSchema } from '../collector/index.js';
import { quoteIdent } from '../util/pg.js';

export interface EndState {
  schema: SchemaSnapshot;
  /** "schema.table" → fingerprint of its rows. */
  data: Record<string, string>;
}

const TABLE_COLUMNS_SQL = /* SQL */ `
  SELECT n.nspname AS schema, c.relname AS table, format('%I.%I', n.nspname, c.relname) AS name,
         array_agg(a.attname::text ORDER BY a.attname) AS columns
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  WHERE c.relkind IN ('r', 'm') AND c.relispopulated
    AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
  GROUP BY n.nspname, c.relname ORDER BY 3`;

/** Order-free: md5 of the count and the sums of each row's md5 halves (as snapshot.ts does). */
const fingerprintSql = (columns: string[], from: string) => /* SQL */ `
  SELECT md5(format('%s:%s:%s', count(*), coalesce(sum(('x' || substr(h, 1, 15))::bit(60)::int8::numeric), 0),
                    coalesce(sum(('x' || substr(h, 16, 15))::bit(60)::int8::numeric), 0))) AS h
  FROM (SELECT md5(row(${columns.join(', ')})::text) AS h FROM ${from}) rows`;

/** `volatile`: "schema.table.column" names whose values are not compared. */
export async function readEndState(client: pg.Client, volatile: ReadonlySet<string>): Promise<EndState> {
  const data: Record<string, string> = {};
  const tables = await client.query<{ schema: string; table: string; name: string; columns: string[] }>(
    TABLE_COLUMNS_SQL,
  );
  for (const t of tables.rows) {
    const cols = t.columns
      .filter((c) => !volatile.has(`${t.schema}.${t.table}.${c}`))
      .map((c) => `x.${quoteIdent(c)}`);
    const from = `ONLY ${quoteIdent(t.schema)}.${quoteIdent(t.table)} x`;
    const r = await client.query<{ h: string }>(fingerprintSql(cols.length ? cols : ['1'], from));
    data[t.name] = r.rows[0]?.h ?? '';
  }
  return { schema: await snapshotSchema(client), data };
}

/** What differs from the original's end state: schema lines, then tables whose rows differ. */
export function endStateDifferences(original: EndState, other: EndState): string[] {
  const lines = diffSchemas(original.schema, other.schema);
  for (const name of [...new Set([...Object.keys(original.data), ...Object.keys(other.data)])].sort()) {
    if (original.data[name] !== other.data[name] && original.data[name] && other.data[name])
      lines.push(`~ data of ${name} differs`);
  }
  return lines;
}
