/** Test databases on the shared server: each test file gets fresh ones and drops them after. */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { type ClientConfig, configFromUrl, quoteIdent, withClient } from '../../src/util/pg.js';

export const serverUrl = (): string => inject('pgUrl');
export const adminConfig = (): ClientConfig => configFromUrl(serverUrl(), 'postgres');

export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/** Create an empty database, run `setupSql` in it, and return its connection config. */
export async function createTestDatabase(name: string, setupSql = ''): Promise<ClientConfig> {
  await withClient(adminConfig(), (c) => c.query(`CREATE DATABASE ${quoteIdent(name)}`));
  const config = configFromUrl(serverUrl(), name);
  if (setupSql) await withClient(config, (c) => c.query(setupSql));
  return config;
}

export async function dropTestDatabase(name: string): Promise<void> {
  await withClient(adminConfig(), (c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`));
}

/** Per-table checksum of every user table: proves data did not change. */
export async function tableChecksums(config: ClientConfig): Promise<Record<string, string>> {
  return withClient(config, async (c) => {
    const { rows } = await c.query<{ t: string }>(
      `SELECT format('%I.%I', schemaname, relname) AS t FROM pg_stat_user_tables ORDER BY 1`,
    );
    const out: Record<string, string> = {};
    for (const { t } of rows) {
      const r = await c.query<{ h: string }>(
        `SELECT md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) AS h FROM ${t} x`,
      );
      out[t] = r.rows[0]!.h;
    }
    return out;
  });
}
