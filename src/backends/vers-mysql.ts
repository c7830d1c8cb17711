/**
 * MariaDB inside a vers VM: its port, the environment `exec` gives commands (DATABASE_URL=mysql://…,
 * MYSQL_*), the read-only user made in the base VM before each checkpoint (so every VM made from
 * it has it), and what is done to the server right before a commit. SQL in named constants; names
 * go through quoteMysqlIdent, values are `?` parameters.
 */

import { connectMysql, type MysqlSettings, quoteMysqlIdent, withMysql } from '../engines/mysql/client.js';
import { DatabaseError, InvalidInputError } from '../errors.js';
import type { ClientConfig } from '../util/pg.js';
import { shQuote } from '../vers/index.js';
import { waitForLogin } from './login-wait.js';

/** MariaDB listens here inside a VM; tunnels forward to it. */
export const VM_MYSQL_PORT = 3306;
/** The password-authenticated user vers-db logs in as (root logs in by unix socket on Debian). */
export const VERS_MYSQL_USER = 'versdb';
export const VERS_MYSQL_READER = 'vers_db_reader';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const DATABASE_EXISTS_SQL = 'SELECT COUNT(*) AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?';
const READER_CREATE_SQL = `CREATE USER IF NOT EXISTS ?@'%' IDENTIFIED BY ?`;
const READER_PASSWORD_SQL = `ALTER USER ?@'%' IDENTIFIED BY ?`;
/** Reading the source database only: not the mysql schema (password hashes), not other databases. */
const readerGrantSql = (database: string) =>
  `GRANT SELECT, SHOW VIEW ON ${quoteMysqlIdent(database)}.* TO ?@'%'`;
/**
 * Before a commit: close and flush every table, so the non-transactional ones (Aria system
 * tables) are on disk as well as InnoDB's (which its redo log makes crash-safe anyway).
 */
const FLUSH_SQL = 'FLUSH TABLES';

/** `export` lines for the MySQL environment: the VM's own MYSQL_HOST/MYSQL_TCP_PORT win (the fake sets them). */
export function mysqlEnvScript(
  database: string,
  password: string,
  extra: Record<string, string> = {},
  user = VERS_MYSQL_USER,
): string {
  const lines = [
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash parameter expansion, not a JS template
    'export MYSQL_HOST="${MYSQL_HOST:-127.0.0.1}" MYSQL_TCP_PORT="${MYSQL_TCP_PORT:-3306}"',
    `export MYSQL_PWD=${shQuote(password)} MYSQL_USER=${shQuote(user)} MYSQL_DATABASE=${shQuote(database)}`,
    `export DATABASE_URL="mysql://"${shQuote(encodeURIComponent(user))}":$MYSQL_PWD@$MYSQL_HOST:$MYSQL_TCP_PORT/"${shQuote(encodeURIComponent(database))}`,
  ];
  for (const [name, value] of Object.entries(extra)) {
    if (!ENV_NAME.test(name))
      throw new InvalidInputError(`invalid environment variable name ${JSON.stringify(name)}`);
    lines.push(`export ${name}=${shQuote(value)}`);
  }
  return lines.join('\n');
}

/** mysql2 settings for a connection the session opened (its config is host/port/user/password). */
export function mysqlSettingsOf(conn: { config: ClientConfig }): MysqlSettings {
  const c = conn.config;
  return {
    host: c.host ?? '127.0.0.1',
    port: Number(c.port),
    user: String(c.user),
    password: String(c.password),
  };
}

export function mysqlDisplayUrl(s: MysqlSettings): string {
  return `mysql://${encodeURIComponent(s.user)}${s.password ? ':***' : ''}@${s.host}:${s.port}/${encodeURIComponent(s.database ?? '')}`;
}

export async function mysqlDatabaseExists(s: MysqlSettings, database: string): Promise<boolean> {
  return withMysql({ ...s, database: undefined }, async (c) => {
    const [rows] = await c.query(DATABASE_EXISTS_SQL, [database]);
    return Number((rows as { n: number | string }[])[0]?.n ?? 0) > 0;
  });
}

export async function createMysqlDatabase(s: MysqlSettings, database: string): Promise<boolean> {
  if (await mysqlDatabaseExists(s, database)) return false;
  await withMysql({ ...s, database: undefined }, (c) =>
    c.query(`CREATE DATABASE IF NOT EXISTS ${quoteMysqlIdent(database)}`),
  );
  return true;
}

/** The read-only user with `password`, allowed to read `database` and nothing else. */
export async function ensureMysqlReader(s: MysqlSettings, database: string, password: string): Promise<void> {
  await withMysql({ ...s, database: undefined }, async (c) => {
    await c.query(READER_CREATE_SQL, [VERS_MYSQL_READER, password]);
    await c.query(READER_PASSWORD_SQL, [VERS_MYSQL_READER, password]);
    await c.query(readerGrantSql(database), [VERS_MYSQL_READER]);
  });
}

export async function flushForCommit(s: MysqlSettings): Promise<void> {
  await withMysql({ ...s, database: undefined }, (c) => c.query(FLUSH_SQL));
}

/** Login refusals that waiting will not cure: wrong password, unknown database. */
const REFUSALS = new Set(['ER_ACCESS_DENIED_ERROR', 'ER_BAD_DB_ERROR', 'ER_DBACCESS_DENIED_ERROR']);

/** Log in to MariaDB behind a fresh tunnel, waiting while it is not up yet. */
export function waitForMysqlLogin(s: MysqlSettings, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  return waitForLogin(
    async () => {
      const c = await connectMysql(s, { connectTimeoutMs: 5000 });
      await c.end().catch(() => c.destroy());
    },
    (err) => err instanceof DatabaseError && err.code !== undefined && REFUSALS.has(err.code),
    timeoutMs,
    signal,
  );
}
