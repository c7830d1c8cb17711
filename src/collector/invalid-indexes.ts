/**
 * A `CREATE INDEX CONCURRENTLY` (or `REINDEX CONCURRENTLY`) cancelled by its lock timeout leaves
 * an INVALID index behind: writes keep maintaining it, and the retry would fail on its name. A
 * careful deploy drops it (concurrently, so it blocks nobody) before trying again. Only indexes
 * that became invalid during the attempt are touched; partitioned parents' indexes (relkind 'I',
 * invalid by design until every partition's index is attached) never are.
 */
import type pg from 'pg';
import { quoteIdent } from '../util/pg.js';
import type { SqlStatement } from './split.js';

/** Invalid plain indexes, with their schema: the same query before and after an attempt. */
export const INVALID_INDEXES_SQL = /* SQL */ `
  SELECT c.oid::int8 AS oid, n.nspname AS schema, c.relname AS name
  FROM pg_index i
  JOIN pg_class c ON c.oid = i.indexrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE NOT i.indisvalid AND c.relkind = 'i'`;

export interface InvalidIndex {
  oid: string;
  schema: string;
  name: string;
}

export async function invalidIndexes(client: pg.Client): Promise<InvalidIndex[]> {
  const { rows } = await client.query<{ oid: string; schema: string; name: string }>(INVALID_INDEXES_SQL);
  return rows.map((r) => ({ oid: String(r.oid), schema: r.schema, name: r.name }));
}

/** What was invalid after the attempt and not before it. */
export function leftBehind(before: readonly InvalidIndex[], after: readonly InvalidIndex[]): InvalidIndex[] {
  const known = new Set(before.map((i) => i.oid));
  return after.filter((i) => !known.has(i.oid));
}

export const qualifiedName = (i: InvalidIndex): string => `${quoteIdent(i.schema)}.${quoteIdent(i.name)}`;

/** Outside any transaction, like the statement that left it; under the session's lock_timeout. */
export async function dropInvalidIndex(client: pg.Client, i: InvalidIndex): Promise<void> {
  await client.query(`DROP INDEX CONCURRENTLY IF EXISTS ${qualifiedName(i)}`);
}

/** The statement may leave an invalid index when it times out: it builds one concurrently (parse tree). */
export function mayLeaveInvalidIndex(s: Pick<SqlStatement, 'kind' | 'multiTransaction'>): boolean {
  return s.multiTransaction && (s.kind === 'IndexStmt' || s.kind === 'ReindexStmt');
}
