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

/** One value source per parameter of each statement, indexed by statement index. */
export async function resolveParams(
  client: pg.Client,
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
    const table = await resolveTable(client, b.relation);
    if (!table) {
      throw new InvalidInputError(`${where}: table ${qualifiedRef(b.relation)} does not exist on the branch`);
    }
    if (b.kind === 'fresh-int') {
      const column = quoteIdent(b.column);
      const qualified = `${quoteIdent(table.schema)}.${quoteIdent(table.table)}`;
      const max = await client
        .query<{ m: string | null }>(`SELECT max(${column})::text AS m FROM ${qualified}`)
        .then((r) => BigInt(r.rows[0]?.m ?? '0'))
        .catch((err: Error) => {
          throw new InvalidInputError(`${where}: fresh int ${b.column}: ${err.message}`);
        });
      let next = max;
      return () => String(++next);
    }
    const at = { schema: table.schema, table: table.table };
    const key = b.column ? { ...at, column: b.column } : await findKeyColumn(client, at);
    const cacheKey = `${key.schema}.${key.table}.${key.column}`;
    let values = keyCache.get(cacheKey);
    if (!values) {
      values = await sampleKeyValues(client, key).catch((err: Error) => {
        throw new InvalidInputError(`${where}: cannot draw keys from ${cacheKey}: ${err.message}`);
      });
      if (values.length === 0) {
        throw new InvalidInputError(`${where}: ${key.schema}.${key.table} has no rows to draw keys from`);
      }
      keyCache.set(cacheKey, values);
    }
    const pool = values;
    return () => pool[Math.floor(Math.random() * pool.length)]!;
  }
}
