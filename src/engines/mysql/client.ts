/**
 * Connections to MySQL/MariaDB through mysql2: settings from a mysql:// or mariadb:// URL or a
 * tool-owned server, identifier quoting, and one callback helper that always closes.
 */
import mysql from 'mysql2/promise';
import { DatabaseError } from '../../errors.js';
import { addSecret, addUrlSecret } from '../../util/secrets.js';

export type MysqlConnection = mysql.Connection;

export interface MysqlSettings {
  host: string;
  port: number;
  user: string;
  password: string;
  database?: string;
}

export { quoteMysqlIdent } from './quote.js';

export function settingsFromUrl(url: string): MysqlSettings {
  addUrlSecret(url);
  const u = new URL(url);
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    ...(database ? { database } : {}),
  };
}

export function urlFromSettings(s: MysqlSettings, scheme: 'mysql' | 'mariadb' = 'mysql'): string {
  addSecret(s.password);
  const auth = `${encodeURIComponent(s.user)}:${encodeURIComponent(s.password)}`;
  return `${scheme}://${auth}@${s.host}:${s.port}/${encodeURIComponent(s.database ?? '')}`;
}

export async function connectMysql(
  s: MysqlSettings,
  options: { connectTimeoutMs?: number } = {},
): Promise<MysqlConnection> {
  addSecret(s.password);
  try {
    return await mysql.createConnection({
      host: s.host,
      port: s.port,
      user: s.user,
      password: s.password,
      ...(s.database ? { database: s.database } : {}),
      connectTimeout: options.connectTimeoutMs ?? 10_000,
      // BIGINT and DECIMAL as strings: sizes and ids are compared exactly, converted where safe.
      supportBigNumbers: true,
      bigNumberStrings: true,
      multipleStatements: false,
      // No LOAD DATA LOCAL INFILE: a migration could otherwise ask this process for its files.
      flags: ['-LOCAL_FILES'],
    });
  } catch (err) {
    const e = err as { code?: string; message?: string };
    throw new DatabaseError(`cannot connect to MySQL at ${s.host}:${s.port}: ${e.message ?? String(err)}`, {
      cause: err,
      ...(e.code ? { code: e.code } : {}),
    });
  }
}

export async function withMysql<T>(s: MysqlSettings, fn: (c: MysqlConnection) => Promise<T>): Promise<T> {
  const c = await connectMysql(s);
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => c.destroy());
  }
}
