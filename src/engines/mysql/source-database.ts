/**
 * A database beside the source on the tool-owned MySQL source server (the managed layer's
 * SourceDatabase): exists, ensure, reset and drop through the engine's admin SQL. MySQL has no
 * comment on a database, so the optional label is not stored.
 */
import type { SourceDatabase } from '../../backends/backend.js';
import {
  DATABASE_EXISTS_SQL,
  DATABASE_SESSIONS_SQL,
  dropDatabaseSql,
  ensureDatabaseSql,
  killConnectionSql,
} from './admin-sql.js';
import { type MysqlConnection, type MysqlSettings, withMysql } from './client.js';

export async function mysqlDatabaseExists(c: MysqlConnection, name: string): Promise<boolean> {
  const [rows] = await c.query(DATABASE_EXISTS_SQL, [name]);
  return Number((rows as { n: number | string }[])[0]?.n ?? 0) > 0;
}

/** Drop a database after ending the other sessions in it (a DROP would wait for their locks). */
async function dropWithSessions(c: MysqlConnection, name: string): Promise<void> {
  const [rows] = await c.query(DATABASE_SESSIONS_SQL, [name]);
  for (const s of rows as { id: number | string }[]) {
    await c.query(killConnectionSql(Number(s.id))).catch(() => undefined); // gone meanwhile
  }
  await c.query(dropDatabaseSql(name));
}

export function mysqlSourceDatabase(admin: () => Promise<MysqlSettings>, name: string): SourceDatabase {
  const run = async <T>(fn: (c: MysqlConnection) => Promise<T>) => withMysql(await admin(), fn);
  return {
    name,
    exists: () => run((c) => mysqlDatabaseExists(c, name)),
    ensure: async () => {
      await run((c) => c.query(ensureDatabaseSql(name)));
    },
    reset: async () => {
      await run(async (c) => {
        await dropWithSessions(c, name);
        await c.query(ensureDatabaseSql(name));
      });
    },
    drop: () => run((c) => dropWithSessions(c, name)),
  };
}
