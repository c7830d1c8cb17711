/**
 * The benchmark's data: the use-case's own schema (examples/schema/v1.sql) and generator
 * (examples/seeds/generate.sql), whose row count comes from the custom setting vers_db.rows.
 * Loading it from scratch is also what the use-case's "reset loop" does between two tests.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type ClientConfig, configFromUrl, quoteIdent, withClient } from '../../src/util/pg.js';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
export const SCHEMA_FILE = `${EXAMPLES}schema/v1.sql`;
export const SEED_FILE = `${EXAMPLES}seeds/generate.sql`;
export const STRATEGY_FILES = ['a', 'b', 'c'].map((s) => `${EXAMPLES}migrations/v2-strategy-${s}.sql`);

const SET_ROWS_SQL = `SELECT set_config('vers_db.rows', $1, false)`;
const DATABASE_SIZE_SQL = 'SELECT pg_database_size($1)::bigint AS size';

export const admin = (serverUrl: string): ClientConfig => configFromUrl(serverUrl, 'postgres');
export const inDatabase = (serverUrl: string, database: string): ClientConfig =>
  configFromUrl(serverUrl, database);

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  await withClient(admin(serverUrl), async (c) => {
    await c.query(`ALTER DATABASE ${quoteIdent(name)} WITH IS_TEMPLATE false`).catch(() => undefined);
    await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
  });
}

export async function createDatabase(serverUrl: string, name: string): Promise<void> {
  await withClient(admin(serverUrl), (c) => c.query(`CREATE DATABASE ${quoteIdent(name)}`));
}

/** Drop, recreate, load the schema and generate `users` rows (orders are twice as many). */
export async function loadSeed(serverUrl: string, name: string, users: number): Promise<void> {
  const [schema, seed] = await Promise.all([readFile(SCHEMA_FILE, 'utf8'), readFile(SEED_FILE, 'utf8')]);
  await dropDatabase(serverUrl, name);
  await createDatabase(serverUrl, name);
  await withClient(inDatabase(serverUrl, name), async (c) => {
    await c.query(schema);
    await c.query(SET_ROWS_SQL, [String(users)]);
    await c.query(seed);
  });
}

export async function vacuum(serverUrl: string, name: string): Promise<void> {
  await withClient(inDatabase(serverUrl, name), (c) => c.query('VACUUM (ANALYZE)'));
}

export async function databaseSize(serverUrl: string, name: string): Promise<number> {
  return withClient(admin(serverUrl), async (c) =>
    Number((await c.query(DATABASE_SIZE_SQL, [name])).rows[0].size),
  );
}

export async function countUsers(config: ClientConfig): Promise<{ users: number; orders: number }> {
  return withClient(config, async (c) => {
    const r = await c.query<{ users: number; orders: number }>(
      'SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM orders)::int AS orders',
    );
    return r.rows[0]!;
  });
}

/**
 * How many users make a database of `targetBytes`: generate a small sample, measure bytes per
 * user above the empty schema, scale. Sizes are reported as measured, not as targeted.
 */
export async function calibrateUsers(
  serverUrl: string,
  scratch: string,
): Promise<(targetBytes: number) => number> {
  await loadSeed(serverUrl, scratch, 0);
  const empty = await databaseSize(serverUrl, scratch);
  const sample = 20_000;
  await loadSeed(serverUrl, scratch, sample);
  const perUser = (await databaseSize(serverUrl, scratch)) - empty;
  await dropDatabase(serverUrl, scratch);
  return (targetBytes) => Math.max(1000, Math.round(((targetBytes - empty) / perUser) * sample));
}
