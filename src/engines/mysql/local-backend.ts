/**
 * The local MySQL/MariaDB backend: the managed layer over MysqlLocalDriver. The source is the
 * tool-owned server `vers-db up --engine mysql` starts (DATABASE_URL may name it, and the database
 * in it); a user's own MySQL server (any other mysql:// DATABASE_URL) is served by the logical
 * fallback (logical-driver.ts): copies of databases on that server, their cost stated.
 */
import type { BackendDeps } from '../../backends/deps.js';
import { stateDirOf } from '../../backends/deps.js';
import { ManagedBackend } from '../../backends/managed.js';
import { InvalidInputError } from '../../errors.js';
import { engineForUrl } from '../index.js';
import { type MysqlSettings, settingsFromUrl } from './client.js';
import { serverLayout } from './layout.js';
import { mysqlDisplayUrl } from './local-connection.js';
import { MysqlLocalDriver } from './local-driver.js';
import { MYSQL_SOURCE_DATABASE, sourceRoot } from './local-layout.js';
import { MysqlLogicalDriver } from './logical-driver.js';
import { readServerState } from './state.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export class MysqlLocalBackend extends ManagedBackend<MysqlLocalDriver | MysqlLogicalDriver> {}

/** DATABASE_URL names a server vers-db does not run: the logical fallback's driver is used. */
export interface ForeignServer {
  foreign: MysqlSettings & { database: string };
}

/**
 * The database DATABASE_URL names on the tool-owned source, or the settings of a user's own
 * server (which must name its database), or a clear error when the tool-owned server moved.
 */
export async function sourceDatabaseFromUrl(stateDir: string, url: string): Promise<string | ForeignServer> {
  let s: ReturnType<typeof settingsFromUrl>;
  try {
    s = settingsFromUrl(url);
  } catch {
    throw new InvalidInputError('DATABASE_URL is not a valid mysql:// URL');
  }
  const state = await readServerState(serverLayout(sourceRoot(stateDir)).stateFile);
  const ours =
    state !== null &&
    LOOPBACK.has(s.host) &&
    s.user === state.user &&
    s.password === state.password &&
    state.port === s.port;
  const moved = !ours && state !== null && s.password === state.password && state.port !== null;
  if (moved) {
    throw new InvalidInputError(
      `DATABASE_URL names port ${s.port}, but vers-db's MySQL source server now listens on ${state.port}`,
      { hint: 'run `vers-db up --engine mysql` and use the DATABASE_URL it prints' },
    );
  }
  if (!ours) {
    if (!s.database) {
      throw new InvalidInputError(
        `DATABASE_URL points at a MySQL/MariaDB server vers-db does not run (${mysqlDisplayUrl(s)}) and names no database`,
        { hint: 'name the database to test migrations on at the end of the URL: mysql://…/<database>' },
      );
    }
    return { foreign: { ...s, database: s.database } };
  }
  return s.database || MYSQL_SOURCE_DATABASE;
}

export async function createMysqlLocalBackend(deps: BackendDeps): Promise<MysqlLocalBackend> {
  const url = deps.env.DATABASE_URL?.trim();
  const source =
    url && engineForUrl(url) ? await sourceDatabaseFromUrl(stateDirOf(deps), url) : MYSQL_SOURCE_DATABASE;
  if (typeof source !== 'string')
    return new MysqlLocalBackend(deps, new MysqlLogicalDriver(deps, source.foreign));
  return new MysqlLocalBackend(deps, new MysqlLocalDriver(deps, source));
}
