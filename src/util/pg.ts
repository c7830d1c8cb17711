/** Small helpers around node-postgres: connecting with clear errors, quoting, URLs. */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { DatabaseError, InvalidInputError } from '../errors.js';
import { addUrlSecret } from './secrets.js';
import { SQLSTATE } from './sqlstate.js';

export type PgClient = pg.Client;
/** pg's config plus the libpq sslmode it was given, passed on as given to commands (PGSSLMODE, DATABASE_URL). */
export type ClientConfig = pg.ClientConfig & { sslmode?: SslMode; sslrootcert?: string };

export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

/**
 * node-postgres's TLS options for a libpq sslmode. `allow` and `prefer` connect without TLS
 * (node-postgres cannot fall back); the mode itself still reaches every command unchanged.
 */
function tlsFor(mode: SslMode | undefined, rootCert: string | undefined): pg.ClientConfig['ssl'] {
  const ca = rootCert ? readFileSync(rootCert, 'utf8') : undefined;
  switch (mode) {
    case 'require':
      // libpq: with a root certificate given, require behaves like verify-ca.
      return ca ? { ca, checkServerIdentity: () => undefined } : { rejectUnauthorized: false };
    case 'verify-ca':
      return { ...(ca ? { ca } : {}), checkServerIdentity: () => undefined };
    case 'verify-full':
      return ca ? { ca } : {};
    default:
      return undefined;
  }
}

/** Quote an identifier the way Postgres does; never build SQL from unquoted user input. */
export const quoteIdent = (name: string): string => pg.escapeIdentifier(name);

export function configFromUrl(url: string, database?: string): ClientConfig {
  addUrlSecret(url); // its password is never printed, logged or reported
  const u = new URL(url);
  const given = u.searchParams.get('sslmode') ?? undefined;
  if (given !== undefined && !(SSL_MODES as readonly string[]).includes(given)) {
    throw new InvalidInputError(`sslmode=${given} in the database URL is not a libpq sslmode`, {
      hint: `use one of ${SSL_MODES.join(', ')}`,
    });
  }
  const sslmode = given as SslMode | undefined;
  const sslrootcert = u.searchParams.get('sslrootcert') ?? undefined;
  let ssl: pg.ClientConfig['ssl'];
  try {
    ssl = tlsFor(sslmode, sslrootcert);
  } catch (err) {
    throw new InvalidInputError(`cannot read sslrootcert ${sslrootcert}: ${(err as Error).message}`);
  }
  return {
    host: decodeURIComponent(u.hostname) || undefined,
    port: u.port ? Number(u.port) : 5432,
    user: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    database: database ?? (decodeURIComponent(u.pathname.replace(/^\//, '')) || 'postgres'),
    ssl,
    ...(sslmode ? { sslmode } : {}),
    ...(sslrootcert ? { sslrootcert } : {}),
  };
}

/** PGSSLMODE / PGSSLROOTCERT for a command, when the URL named them. */
export function sslEnv(config: ClientConfig): Record<string, string> {
  return {
    ...(config.sslmode ? { PGSSLMODE: config.sslmode } : {}),
    ...(config.sslrootcert ? { PGSSLROOTCERT: config.sslrootcert } : {}),
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
  const query = new URLSearchParams(sslEnvParams(config)).toString();
  return `postgres://${auth}${config.host ?? 'localhost'}:${config.port ?? 5432}/${encodeURIComponent(config.database ?? '')}${query ? `?${query}` : ''}`;
}

function sslEnvParams(config: ClientConfig): Record<string, string> {
  return {
    ...(config.sslmode ? { sslmode: config.sslmode } : {}),
    ...(config.sslrootcert ? { sslrootcert: config.sslrootcert } : {}),
  };
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
    case SQLSTATE.INVALID_PASSWORD:
    case SQLSTATE.INVALID_AUTHORIZATION_SPECIFICATION:
      return new DatabaseError(`PostgreSQL at ${where} refused the login: ${e.message}`, {
        hint: 'check the user and password in DATABASE_URL',
        cause: err,
        code: e.code,
      });
    case SQLSTATE.INVALID_CATALOG_NAME:
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

/**
 * Every session the tool opens is bounded on the server side, so a killed tool (kill -9, a lost
 * laptop, a tunnel that outlives its parent) leaves no backend running its migration:
 * TCP keepalives find a vanished peer, `client_connection_check_interval` (PostgreSQL 14+) makes
 * a backend busy with a long statement notice its client is gone, and idle timeouts end sessions
 * whose client is silent. The idle limits exceed the longest wait the tool itself makes (a long
 * reader holds its transaction for at most 10 minutes).
 */
export const SESSION_LIMITS = {
  keepAliveInitialDelayMs: 10_000,
  clientConnectionCheckIntervalMs: 2_000,
  idleInTransactionSessionTimeoutMs: 15 * 60_000,
  idleSessionTimeoutMs: 15 * 60_000,
} as const;

/** Both settings exist from PostgreSQL 14; on older servers the WHERE clause skips them. */
const SESSION_LIMITS_SQL = `
  SELECT set_config('client_connection_check_interval', $1, false),
         set_config('idle_session_timeout', $2, false)
  WHERE current_setting('server_version_num')::int >= 140000`;

export async function connect(config: ClientConfig, applicationName = 'vers-db'): Promise<pg.Client> {
  const client = new pg.Client({
    connectionTimeoutMillis: 10_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: SESSION_LIMITS.keepAliveInitialDelayMs,
    idle_in_transaction_session_timeout: SESSION_LIMITS.idleInTransactionSessionTimeoutMs,
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
  try {
    await client.query(SESSION_LIMITS_SQL, [
      String(SESSION_LIMITS.clientConnectionCheckIntervalMs),
      String(SESSION_LIMITS.idleSessionTimeoutMs),
    ]);
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

const BEGIN_SQL = 'BEGIN';
const BEGIN_READ_ONLY_SQL = 'BEGIN READ ONLY';
const COMMIT_SQL = 'COMMIT';
const ROLLBACK_SQL = 'ROLLBACK';

/**
 * Run `fn` inside one transaction on `client`: committed when it returns, rolled back when it
 * throws (and the error rethrown). A read-only transaction has nothing to keep: it always ends
 * with ROLLBACK, and a failure to end it is not an error of `fn`.
 */
export async function withTransaction<T>(
  client: pg.ClientBase,
  options: { readOnly?: boolean },
  fn: () => Promise<T>,
): Promise<T> {
  await client.query(options.readOnly ? BEGIN_READ_ONLY_SQL : BEGIN_SQL);
  let result: T;
  try {
    result = await fn();
  } catch (err) {
    await client.query(ROLLBACK_SQL).catch(() => undefined);
    throw err;
  }
  if (options.readOnly) await client.query(ROLLBACK_SQL).catch(() => undefined);
  else await client.query(COMMIT_SQL);
  return result;
}
