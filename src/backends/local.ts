/**
 * The local backend: the managed layer over the local storage driver (template databases on
 * one PostgreSQL server, 13 or newer: the one in DATABASE_URL, or the embedded default).
 */
import { BackendError, DatabaseError, InvalidInputError } from '../errors.js';
import { type ClientConfig, configFromUrl, displayUrl, withClient, withDatabase } from '../util/pg.js';
import { type BackendDeps, stateDirOf } from './deps.js';
import { ensureEmbedded } from './embedded.js';
import { LocalDriver } from './local-driver.js';
import { ManagedBackend } from './managed.js';
import { ensureDatabase } from './pg-admin.js';

/** The database the embedded default loads data into and checkpoints from. */
export const EMBEDDED_SOURCE_DATABASE = 'app';
const MIN_SERVER_VERSION = 130000;
const SERVER_VERSION_SQL = `SELECT current_setting('server_version_num')::int AS v`;

export class LocalBackend extends ManagedBackend<LocalDriver> {
  /** Is the checkpoint still there, a template nobody can connect to, with the checksums it was made with? */
  declare readonly verifyCheckpoint: (tag: string) => Promise<string[]>;
}

/** The server's version, refusing anything older than PostgreSQL 13 (DROP DATABASE … WITH (FORCE)). */
export async function verifyServer(source: ClientConfig): Promise<number> {
  // Connect to the source itself: errors then name the database the user configured.
  const { v } = await withClient(
    source,
    async (c) => (await c.query<{ v: number }>(SERVER_VERSION_SQL)).rows[0]!,
  );
  if (v < MIN_SERVER_VERSION) {
    throw new DatabaseError(`PostgreSQL ${Math.floor(v / 10000)} is not supported at ${displayUrl(source)}`, {
      hint: 'vers-db needs PostgreSQL 13 or newer (DROP DATABASE … WITH (FORCE))',
    });
  }
  return v;
}

/** The source server: DATABASE_URL when set (non-empty), else the embedded default with its `app` database. */
export async function createLocalBackend(deps: BackendDeps): Promise<LocalBackend> {
  const url = deps.env.DATABASE_URL?.trim();
  if (!url) return (await openEmbeddedBackend(deps)).backend;
  let source: ClientConfig;
  try {
    source = configFromUrl(url);
  } catch (err) {
    if (err instanceof InvalidInputError) throw new InvalidInputError(`DATABASE_URL: ${err.message}`, err);
    throw new InvalidInputError('DATABASE_URL is not a valid postgres:// URL');
  }
  const version = await verifyServer(source);
  return new LocalBackend(deps, new LocalDriver(deps, source, null, version));
}

/**
 * The embedded default, started if need be (`persistent`: kept running after this process, as
 * `vers-db up` does), with its source database made; returns the server's URL too.
 */
export async function openEmbeddedBackend(
  deps: BackendDeps,
  options: { persistent?: boolean } = {},
): Promise<{ backend: LocalBackend; url: string; source: ClientConfig }> {
  const server = await ensureEmbedded(stateDirOf(deps), { persistent: options.persistent, log: deps.log });
  const admin = configFromUrl(server.url, 'postgres');
  await ensureDatabase(admin, EMBEDDED_SOURCE_DATABASE).catch((err: unknown) => {
    throw err instanceof BackendError || err instanceof DatabaseError ? err : new BackendError(String(err));
  });
  const source = withDatabase(admin, EMBEDDED_SOURCE_DATABASE);
  const version = await verifyServer(source);
  const backend = new LocalBackend(deps, new LocalDriver(deps, source, server.state.dataDir, version));
  return { backend, url: server.url, source };
}
