/**
 * The local MySQL/MariaDB backend: the managed layer over MysqlLocalDriver. The source is the
 * tool-owned server `vers-db up --engine mysql` starts (DATABASE_URL may name it, and the database
 * in it); a user's own MySQL server is not supported yet and says so.
 */
import type { BackendDeps } from '../../backends/deps.js';
import { stateDirOf } from '../../backends/deps.js';
import { ManagedBackend } from '../../backends/managed.js';
import { InvalidInputError } from '../../errors.js';
import { engineForUrl } from '../index.js';
import { settingsFromUrl } from './client.js';
import { serverLayout } from './layout.js';
import { mysqlDisplayUrl } from './local-connection.js';
import { MysqlLocalDriver } from './local-driver.js';
import { MYSQL_SOURCE_DATABASE, sourceRoot } from './local-layout.js';
import { readServerState } from './state.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export class MysqlLocalBackend extends ManagedBackend<MysqlLocalDriver> {}

/** The database DATABASE_URL names on the tool-owned source, or a clear error for any other server. */
export async function sourceDatabaseFromUrl(stateDir: string, url: string): Promise<string> {
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
  if (!ours) {
    const moved = state !== null && s.password === state.password && state.port !== null;
    throw new InvalidInputError(
      moved
        ? `DATABASE_URL names port ${s.port}, but vers-db's MySQL source server now listens on ${state.port}`
        : `DATABASE_URL points at a MySQL/MariaDB server vers-db does not run (${mysqlDisplayUrl(s)}): a user's own MySQL server is not supported yet`,
      {
        hint: moved
          ? 'run `vers-db up --engine mysql` and use the DATABASE_URL it prints'
          : 'run `vers-db up --engine mysql` for a tool-owned server, load your data into it (e.g. `mysqldump … | mysql …`), and use the DATABASE_URL it prints',
      },
    );
  }
  return s.database || MYSQL_SOURCE_DATABASE;
}

export async function createMysqlLocalBackend(deps: BackendDeps): Promise<MysqlLocalBackend> {
  const url = deps.env.DATABASE_URL?.trim();
  const database =
    url && engineForUrl(url) ? await sourceDatabaseFromUrl(stateDirOf(deps), url) : MYSQL_SOURCE_DATABASE;
  return new MysqlLocalBackend(deps, new MysqlLocalDriver(deps, database));
}
