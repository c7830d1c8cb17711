/** Small helpers around node-postgres: connecting with clear errors, quoting, URLs. */
import pg from 'pg';
import { DatabaseError } from '../errors.js';
import { addUrlSecret } from './secrets.js';

export type PgClient = pg.Client;
export type ClientConfig = pg.ClientConfig;

/** Quote an identifier the way Postgres does; never build SQL from unquoted user input. */
export const quoteIdent = (name: string): string => pg.escapeIdentifier(name);

export function configFromUrl(url: string, database?: string): ClientConfig {
  addUrlSecret(url); // its password is never printed, logged or reported
  const u = new URL(url);
  return {
    host: decodeURIComponent(u.hostname) || undefined,
    port: u.port ? Number(u.port) : 5432,
    user: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    database: database ?? (decodeURIComponent(u.pathname.replace(/^\//, '')) || 'postgres'),
    ssl: u.searchParams.get('sslmode') === 'require' ? { rejectUnauthorized: false } : undefined,
  };
}

export function withDatabase(config: ClientConfig, database: string): ClientConfig {
  return { ...config, database };
}

/** postgres://user:***@host:port/db — for messages; the password never leaves this process. */
export function displayUrl(config: ClientConfig): string {
  const auth = config.user ? `${encodeURIComponent(config.user)}${config.password ? ':***' : ''}@` : '';
  return `postgres://${auth}${config.host ?? 'localhost'}:${config.port ?? 5432}/${config.database ?? ''}`;
}

export function urlOf(config: ClientConfig): string {
  const auth = config.user
    ? `${encodeURIComponent(config.user)}${config.password ? `:${encodeURIComponent(String(config.password))}` : ''}@`
    : '';
  return `postgres://${auth}${config.host ?? 'localhost'}:${config.port ?? 5432}/${encodeURIComponent(config.database ?? '')}`;
}

/** Turn a connection failure into a message that says what went wrong and where. */
export function connectionError(err: unknown, config: ClientConfig): DatabaseError {
  const e = err as { code?: string; message?: string };
  const where = displayUrl(config);
  switch (e.code) {
    case 'ECONNREFUSED':
      return new DatabaseError(`cannot reach PostgreSQL at ${where}: connection refused`, {
        hint: 'is the server running? (`vers-db up` starts the embedded one; check DATABASE_URL)',
        cause: err,
        code: e.code,
      });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new DatabaseError(`cannot reach PostgreSQL at ${where}: unknown host`, {
        cause: err,
        code: e.code,
      });
    case 'ETIMEDOUT':
      return new DatabaseError(`cannot reach PostgreSQL at ${where}: timed out`, {
        cause: err,
        code: e.code,
      });
    case '28P01':
    case '28000':
      return new DatabaseError(`PostgreSQL at ${where} refused the login: ${e.message}`, {
        hint: 'check the user and password in DATABASE_URL',
        cause: err,
        code: e.code,
      });
    case '3D000':
      return new DatabaseError(`database ${JSON.stringify(config.database)} does not exist at ${where}`, {
        cause: err,
        code: e.code,
      });
    default:
      return new DatabaseError(`cannot connect to PostgreSQL at ${where}: ${e.message ?? String(err)}`, {
        cause: err,
        code: e.code,
      });
  }
}

export async function connect(config: ClientConfig, applicationName = 'vers-db'): Promise<pg.Client> {
  const client = new pg.Client({
    connectionTimeoutMillis: 10_000,
    ...config,
    application_name: applicationName,
  });
  // A dropped connection must not crash the process; the next query reports it.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw connectionError(err, config);
  }
  return client;
}

/** Run `fn` with a fresh connection that is always closed. */
export async function withClient<T>(
  config: ClientConfig,
  fn: (client: pg.Client) => Promise<T>,
  applicationName?: string,
): Promise<T> {
  const client = await connect(config, applicationName);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
