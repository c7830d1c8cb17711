/** Test databases for the collector tests: a users table like the seed example, sized per test. */
import type { ClientConfig } from 'pg';
import { quoteIdent, withClient } from '../../src/util/pg.js';
import { adminConfig, createTestDatabase, dropTestDatabase, uniqueName } from '../helpers/db.js';

export const usersTableSql = (rows: number): string => `
  CREATE TABLE users (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    email TEXT NOT NULL,
    name TEXT,
    created_at TIMESTAMPTZ DEFAULT now()
  );
  INSERT INTO users (email, name, created_at)
  SELECT 'user' || g || '@example.com', 'User ' || g, now() - g * interval '1 minute'
  FROM generate_series(1, ${rows}) g;
  ANALYZE users;`;

/** A fresh database for one test; `drop()` removes it (call it in afterEach/afterAll). */
export async function testDatabase(
  prefix: string,
  setupSql: string,
): Promise<{ name: string; config: ClientConfig; drop: () => Promise<void> }> {
  const name = uniqueName(prefix);
  const config = await createTestDatabase(name, setupSql).catch(async (err) => {
    await dropTestDatabase(name);
    throw err;
  });
  return { name, config, drop: () => dropTestDatabase(name) };
}

/** Clone a prepared database (fast: no re-generating big tables per test). */
export async function cloneDatabase(
  template: string,
  prefix: string,
): Promise<{ name: string; config: ClientConfig; drop: () => Promise<void> }> {
  const name = uniqueName(prefix);
  await withClient(adminConfig(), (c) =>
    c.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE ${quoteIdent(template)}`),
  );
  const config = { ...adminConfig(), database: name };
  return { name, config, drop: () => dropTestDatabase(name) };
}

/** Sessions of the collector still connected to a database. */
export async function collectorBackends(database: string): Promise<string[]> {
  return withClient(adminConfig(), async (c) => {
    const { rows } = await c.query<{ application_name: string }>(
      `SELECT application_name FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'vers-db:%'`,
      [database],
    );
    return rows.map((r) => r.application_name);
  });
}

/** Poll until `check` returns true or the time is up; returns the last value. */
export async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  let value = await fn();
  while (!ok(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    value = await fn();
  }
  return value;
}
