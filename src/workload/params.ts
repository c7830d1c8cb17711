/**
 * Values for the workload's `$n` parameters: keys drawn from across the table (the same sampling the
 * probes use), fresh values for inserts (never an existing key), or literals. All values are text;
 * the server casts them to the parameter's type.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { findKeyColumn, sampleKeyValues } from '../collector/sample-keys.js';
import { InvalidInputError } from '../errors.js';
import { quoteIdent } from '../util/pg.js';
import type { ParamBinding, TableRef, WorkloadSpec, WorkloadStatement } from './file.js';

export type ValueSource = () => string | null;

export interface ResolvedTable {
  schema: string;
  table: string;
  /** As the snapshots name it: format('%I.%I'). */
  name: string;
}

const RESOLVE_SQL = `
  SELECT n.nspname AS schema, c.relname AS table, format('%I.%I', n.nspname, c.relname) AS name
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)`;

/** The qualified, quoted name a TableRef resolves to with the session's search path. */
export const qualifiedRef = (r: TableRef): string =>
  r.schema ? `${quoteIdent(r.schema)}.${quoteIdent(r.table)}` : quoteIdent(r.table);

export async function resolveTable(client: pg.Client, ref: TableRef): Promise<ResolvedTable | null> {
  return (await client.query<ResolvedTable>(RESOLVE_SQL, [qualifiedRef(ref)])).rows[0] ?? null;
}

/** What drawing values needs from an engine: tables as the application names them, keys, maxima. */
export interface ParamLookup {
  resolveTable(ref: TableRef): Promise<ResolvedTable | null>;
  /** The largest value of an integer column (0 when the table is empty). */
  maxOf(table: ResolvedTable, column: string): Promise<bigint>;
  /** The key column (given, else the table's own key) and values of it drawn from across the table. */
  keyValues(table: ResolvedTable, column: string | null): Promise<{ column: string; values: string[] }>;
}

/** PostgreSQL's lookup, on `client`. */
export function pgParamLookup(client: pg.Client): ParamLookup {
  return {
    resolveTable: (ref) => resolveTable(client, ref),
    async maxOf(table, column) {
      const qualified = `${quoteIdent(table.schema)}.${quoteIdent(table.table)}`;
      const r = await client.query<{ m: string | null }>(
        `SELECT max(${quoteIdent(column)})::text AS m FROM ${qualified}`,
      );
      return BigInt(r.rows[0]?.m ?? '0');
    },
    async keyValues(table, column) {
      const at = { schema: table.schema, table: table.table };
      const key = column ? { ...at, column } : await findKeyColumn(client, at);
      return { column: key.column, values: await sampleKeyValues(client, key) };
    },
  };
}

/** One value source per parameter of each statement, indexed by statement index (PostgreSQL). */
export function resolveParams(client: pg.Client, spec: WorkloadSpec): Promise<Map<number, ValueSource[]>> {
  return resolveParamsWith(pgParamLookup(client), spec);
}

/** One value source per parameter of each statement, indexed by statement index. */
export async function resolveParamsWith(
  lookup: ParamLookup,
  spec: WorkloadSpec,
): Promise<Map<number, ValueSource[]>> {
  const run = randomBytes(3).toString('hex');
  let counter = 0;
  const keyCache = new Map<string, string[]>();
  const out = new Map<number, ValueSource[]>();
  for (const s of spec.statements) {
    const sources: ValueSource[] = [];
    for (const b of s.params) sources.push(await source(b, s));
    out.set(s.index, sources);
  }
  return out;

  async function source(b: ParamBinding, s: WorkloadStatement): Promise<ValueSource> {
    const where = `${spec.file}:${s.line}`;
    if (b.kind === 'value') return () => b.value;
    if (b.kind === 'fresh-uuid') return () => randomUUID();
    if (b.kind === 'fresh-text') return () => b.template.replaceAll('{n}', `${run}-${++counter}`);
    const table = await lookup.resolveTable(b.relation);
    if (!table) {
      const named =
        spec.dialect === 'mysql'
          ? [b.relation.schema, b.relation.table].filter(Boolean).join('.')
          : qualifiedRef(b.relation);
      throw new InvalidInputError(`${where}: table ${named} does not exist on the branch`);
    }
    if (b.kind === 'fresh-int') {
      let next = await lookup.maxOf(table, b.column).catch((err: Error) => {
        throw new InvalidInputError(`${where}: fresh int ${b.column}: ${err.message}`);
      });
      return () => String(++next);
    }
    const cacheKey = JSON.stringify([table.name, b.column]);
    let values = keyCache.get(cacheKey);
    if (!values) {
      const key = await lookup.keyValues(table, b.column).catch((err: Error) => {
        throw new InvalidInputError(`${where}: cannot draw keys from ${table.name}: ${err.message}`);
      });
      if (key.values.length === 0) {
        throw new InvalidInputError(`${where}: ${table.name} has no rows to draw keys from`);
      }
      values = key.values;
      keyCache.set(cacheKey, values);
    }
    const pool = values;
    return () => pool[Math.floor(Math.random() * pool.length)]!;
  }
}
