/**
 * Connections to the local MySQL servers as the managed layer hands them out: the
 * BranchConnection shape (pg's ClientConfig fields host/port/user/password/database) and the
 * environment of a shell step. Who logs in for a role is sandbox.ts's branchUser.
 */
import type { BranchConnection } from '../../backends/backend.js';
import { addSecret } from '../../util/secrets.js';
import { type MysqlSettings, urlFromSettings } from './client.js';

/** mysql://user@host:port/db: the password is never in it. */
export function mysqlDisplayUrl(s: MysqlSettings): string {
  return `mysql://${encodeURIComponent(s.user)}@${s.host}:${s.port}/${encodeURIComponent(s.database ?? '')}`;
}

export function mysqlConnection(s: MysqlSettings): BranchConnection {
  addSecret(s.password);
  return {
    engine: 'mysql',
    config: { host: s.host, port: s.port, user: s.user, password: s.password, database: s.database },
    displayUrl: mysqlDisplayUrl(s),
    close: async () => {},
  };
}

/** The MySQL settings of a BranchConnection made by mysqlConnection. */
export function settingsOf(conn: BranchConnection): MysqlSettings {
  const c = conn.config;
  return {
    host: String(c.host ?? '127.0.0.1'),
    port: Number(c.port ?? 3306),
    user: String(c.user ?? ''),
    password: typeof c.password === 'string' ? c.password : '',
    ...(c.database ? { database: c.database } : {}),
  };
}

/**
 * A shell step's connection variables: DATABASE_URL (mysql://, with the password) and what the
 * `mysql` client and common drivers read (MYSQL_HOST, MYSQL_TCP_PORT, MYSQL_PWD), plus
 * MYSQL_USER and MYSQL_DATABASE as container images name them. Passed as env, never interpolated.
 */
export function mysqlEnv(s: MysqlSettings): Record<string, string> {
  return {
    DATABASE_URL: urlFromSettings(s),
    MYSQL_HOST: s.host,
    MYSQL_TCP_PORT: String(s.port),
    MYSQL_PWD: s.password,
    MYSQL_USER: s.user,
    MYSQL_DATABASE: s.database ?? '',
  };
}
