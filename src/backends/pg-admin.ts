/**
 * PostgreSQL admin SQL in one place: does a database exist, make it, copy it from a template,
 * drop it, its size, who else is connected. Used by the storage drivers (local: the server in
 * DATABASE_URL or the embedded one; vers: the server in a VM, through a tunnel). Nothing outside
 * src/backends/ issues CREATE or DROP DATABASE.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { CancelledError, ConflictError, DatabaseError } from '../errors.js';
import { type ClientConfig, type PgClient, quoteIdent, withClient, withDatabase } from '../util/pg.js';
import { SQLSTATE } from '../util/sqlstate.js';

const DATABASE_EXISTS_SQL = 'SELECT 1 FROM pg_database WHERE datname = $1';
const DATABASE_SIZE_SQL = 'SELECT pg_database_size($1)::bigint AS size';
const OWN_DATABASES_SQL = 'SELECT datname FROM pg_database WHERE starts_with(datname, $1) ORDER BY 1';
/** Who else is connected to a database we are about to copy (CREATE DATABASE refuses then). */
const OTHER_SESSIONS_SQL = `
  SELECT pid, usename, application_name, coalesce(client_addr::text, 'local') AS client, state, backend_type
  FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() ORDER BY pid`;
const TERMINATE_CREATING_SQL = `
  SELECT pg_terminate_backend(pid) FROM pg_stat_activity
  WHERE pid <> pg_backend_pid() AND state = 'active' AND starts_with(query, $1)`;
const TERMINATE_SQL = 'SELECT pg_terminate_backend($1)';
const CANCEL_SQL = 'SELECT pg_cancel_backend($1)';

/** "source database x is being accessed by other users". */
const SOURCE_BUSY = SQLSTATE.OBJECT_IN_USE;
const DUPLICATE_DATABASE = SQLSTATE.DUPLICATE_DATABASE;
const CLONE_ATTEMPTS = 3;
const CLONE_RETRY_MS = 300;

export interface OtherSession {
  backend_type: string;
  pid: number;
  usename: string;
  application_name: string;
  client: string;
  state: string | null;
}

/** node-postgres knows the server process id of a connection but does not declare it. */
export const backendPid = (client: object): number => (client as { processID: number }).processID;

/** Admin work runs from a database that is never copied: `postgres`, or template1 when postgres is the source. */
export function adminConfigFor(source: ClientConfig): ClientConfig {
  return withDatabase(source, (source.database ?? 'postgres') === 'postgres' ? 'template1' : 'postgres');
}

export async function databaseExists(admin: ClientConfig, name: string): Promise<boolean> {
  return withClient(admin, async (c) => (await c.query(DATABASE_EXISTS_SQL, [name])).rowCount === 1);
}

export async function databaseSize(admin: ClientConfig, name: string): Promise<number> {
  return withClient(admin, async (c) => Number((await c.query(DATABASE_SIZE_SQL, [name])).rows[0].size));
}

/** Databases whose names start with `prefix` (the ones a state directory made). */
export async function databasesWithPrefix(admin: ClientConfig, prefix: string): Promise<string[]> {
  return withClient(admin, async (c) =>
    (await c.query<{ datname: string }>(OWN_DATABASES_SQL, [prefix])).rows.map((r) => r.datname),
  );
}

/** CREATE DATABASE when missing; one made meanwhile by another process counts as made. */
export async function ensureDatabase(admin: ClientConfig, name: string): Promise<boolean> {
  return withClient(admin, async (c) => {
    if ((await c.query(DATABASE_EXISTS_SQL, [name])).rowCount === 1) return false;
    try {
      await c.query(`CREATE DATABASE ${quoteIdent(name)}`);
      return true;
    } catch (err) {
      if ((err as { code?: string }).code === DUPLICATE_DATABASE) return false;
      throw err;
    }
  });
}

/** A label on the database (COMMENT ON DATABASE), as a literal, never spliced raw. */
export async function commentOnDatabase(admin: ClientConfig, name: string, comment: string): Promise<void> {
  await withClient(admin, (c) =>
    c.query(`COMMENT ON DATABASE ${quoteIdent(name)} IS ${c.escapeLiteral(comment)}`),
  );
}

/**
 * DROP DATABASE … WITH (FORCE), idempotent. A CREATE DATABASE of a killed process may still be
 * copying: it is stopped first, or the database appears after this DROP found nothing to drop.
 * A template cannot be dropped; its flag is cleared first.
 */
export async function dropDatabase(admin: ClientConfig, name: string): Promise<void> {
  await withClient(admin, async (c) => {
    const creating = `CREATE DATABASE ${quoteIdent(name)} `;
    for (let i = 0; i < 100; i++) {
      const { rowCount } = await c.query(TERMINATE_CREATING_SQL, [creating]);
      if (!rowCount) break;
      await sleep(100);
    }
    await c.query(`ALTER DATABASE ${quoteIdent(name)} WITH IS_TEMPLATE false`).catch(() => undefined);
    await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
  });
}

export async function otherSessions(c: PgClient, database: string): Promise<OtherSession[]> {
  return (await c.query<OtherSession>(OTHER_SESSIONS_SQL, [database])).rows;
}

export interface CloneOptions {
  /** Text after TEMPLATE (STRATEGY …) and a statement to run first (file_copy_method). */
  clause: string;
  setup?: string | null;
  /** The template is the tool's own: sessions on it are terminated rather than named. */
  owned: boolean;
  signal?: AbortSignal;
}

/**
 * CREATE DATABASE … TEMPLATE, timed. PostgreSQL refuses while anyone else is connected to the
 * template: sessions on a template the tool owns are terminated, and so are autovacuum workers
 * (vacuum simply starts again later); client sessions on the user's own database are named in
 * the error instead. A session that slips in between the check and the copy gets a short retry.
 */
export async function cloneDatabase(
  admin: ClientConfig,
  target: string,
  template: string,
  o: CloneOptions,
): Promise<number> {
  return withClient(admin, async (c) => {
    if (o.setup) await c.query(o.setup);
    for (let attempt = 1; ; attempt++) {
      await clearTemplate(c, template, o.owned);
      const onAbort = () =>
        void withClient(admin, (k) => k.query(CANCEL_SQL, [backendPid(c)])).catch(() => {});
      o.signal?.addEventListener('abort', onAbort, { once: true });
      const start = performance.now();
      try {
        await c.query(`CREATE DATABASE ${quoteIdent(target)} TEMPLATE ${quoteIdent(template)} ${o.clause}`);
        return performance.now() - start;
      } catch (err) {
        const e = err as { code?: string; message: string };
        if (o.signal?.aborted) throw new CancelledError();
        if (e.code === SOURCE_BUSY && attempt < CLONE_ATTEMPTS) {
          await sleep(CLONE_RETRY_MS);
          continue;
        }
        if (e.code === SOURCE_BUSY) throw busySourceError(template, await otherSessions(c, template));
        if (e.code === DUPLICATE_DATABASE)
          throw new ConflictError(`database ${JSON.stringify(target)} already exists`, {
            hint: 'run `vers-db gc`',
          });
        throw new DatabaseError(`could not copy ${template} to ${target}: ${e.message}`, {
          cause: err,
          code: e.code,
        });
      } finally {
        o.signal?.removeEventListener('abort', onAbort);
      }
    }
  });
}

/** Make the template copyable, or say who keeps it busy. */
async function clearTemplate(c: PgClient, template: string, owned: boolean): Promise<void> {
  const others = await otherSessions(c, template);
  const clients = others.filter((o) => o.backend_type !== 'autovacuum worker');
  if (clients.length > 0 && !owned) throw busySourceError(template, clients);
  const terminate = owned ? others : others.filter((o) => o.backend_type === 'autovacuum worker');
  for (const o of terminate) await c.query(TERMINATE_SQL, [o.pid]);
}

function busySourceError(database: string, sessions: OtherSession[]): DatabaseError {
  const list = sessions
    .slice(0, 5)
    .map(
      (s) =>
        `pid ${s.pid} (${s.application_name || 'no application_name'}, user ${s.usename}, ${s.client}, ${s.state ?? 'unknown'})`,
    )
    .join('; ');
  return new DatabaseError(
    `source database ${JSON.stringify(database)} is being accessed by other users: ${list}${sessions.length > 5 ? ` and ${sessions.length - 5} more` : ''}`,
    {
      hint: 'PostgreSQL copies a database only while nobody else is connected to it: close those sessions (or pg_terminate_backend them) and retry',
      code: SOURCE_BUSY,
    },
  );
}
