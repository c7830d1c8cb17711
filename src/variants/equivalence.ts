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
  /** "schema.table" → columns left out of its fingerprint (volatile values), sorted. */
  excluded: Record<string, string[]>;
}

/** Columns whose default calls a volatile function (pg_attrdef records what its expression calls). */
const VOLATILE_DEFAULTS_SQL = /* SQL */ `
  SELECT DISTINCT n.nspname || '.' || c.relname || '.' || a.attname AS name
  FROM pg_attrdef d
  JOIN pg_depend dep ON dep.classid = 'pg_attrdef'::regclass AND dep.objid = d.oid
                    AND dep.refclassid = 'pg_proc'::regclass
  JOIN pg_proc p ON p.oid = dep.refobjid AND p.provolatile = 'v'
  JOIN pg_class c ON c.oid = d.adrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum`;

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

/**
 * `declared`: "schema.table.column" names whose values are not compared (the rewrites filled them
 * from volatile expressions); columns with a volatile default on this branch are left out too.
 */
export async function readEndState(client: pg.Client, declared: ReadonlySet<string>): Promise<EndState> {
  const data: Record<string, string> = {};
  const excluded: Record<string, string[]> = {};
  const volatile = new Set(declared);
  for (const r of (await client.query<{ name: string }>(VOLATILE_DEFAULTS_SQL)).rows) volatile.add(r.name);
  const tables = await client.query<{ schema: string; table: string; name: string; columns: string[] }>(
    TABLE_COLUMNS_SQL,
  );
  for (const t of tables.rows) {
    const left = t.columns.filter((c) => volatile.has(`${t.schema}.${t.table}.${c}`));
    if (left.length) excluded[t.name] = left;
    const cols = t.columns
      .filter((c) => !volatile.has(`${t.schema}.${t.table}.${c}`))
      .map((c) => `x.${quoteIdent(c)}`);
    const from = `ONLY ${quoteIdent(t.schema)}.${quoteIdent(t.table)} x`;
    const r = await client.query<{ h: string }>(fingerprintSql(cols.length ? cols : ['1'], from));
    data[t.name] = r.rows[0]?.h ?? '';
  }
  return { schema: await snapshotSchema(client), data, excluded };
}

/** What differs from the original's end state: schema lines, then tables whose rows differ. */
export function endStateDifferences(original: EndState, other: EndState): string[] {
  const lines = diffSchemas(original.schema, other.schema);
  for (const name of [...new Set([...Object.keys(original.data), ...Object.keys(other.data)])].sort()) {
    const a = (original.excluded[name] ?? []).join(', ');
    const b = (other.excluded[name] ?? []).join(', ');
    if (a !== b) lines.push(`~ data of ${name}: volatile columns differ (${a || 'none'} -> ${b || 'none'})`);
    else if (original.data[name] !== other.data[name] && original.data[name] && other.data[name])
      lines.push(`~ data of ${name} differs${a ? ` (volatile columns ${a} aside)` : ''}`);
  }
  return lines;
}
