/**
 * Where the local MySQL storage keeps its servers: in the state directory, or on its thin volume
 * (`<mountPoint>/mysql`, thin-volume.ts) when it has one, so copies there are reflinks: one server
 * directory each (layout.ts) for the source (`mysql/source`), every checkpoint (`mysql/ckpt/<tag>`),
 * every branch (`mysql/branch/<name>`) and every rollback working copy (`mysql/work/<tag>`).
 * Tags and branch names are validated names (state/names.ts), so each is one path segment.
 */
import { join } from 'node:path';
import { thinMountPointSync } from '../../backends/thin-volume.js';
import { BackendError } from '../../errors.js';
import { MYSQL_SUBDIR } from '../../state/paths.js';

export { MYSQL_SUBDIR };
/** The database the tool-owned source serves (as the embedded PostgreSQL's `app`). */
export const MYSQL_SOURCE_DATABASE = 'app';

export type ServerKind = 'ckpt' | 'branch' | 'work';
export const SERVER_KINDS: readonly ServerKind[] = ['ckpt', 'branch', 'work'];

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,47}$/;

/** `<state>/mysql`: where the servers are without a thin volume (and were before one was made). */
export const plainMysqlRoot = (stateDir: string): string => join(stateDir, MYSQL_SUBDIR);

/** `<mountPoint>/mysql` when the state directory has a thin volume, else `<state>/mysql`. */
export function mysqlStateRoot(stateDir: string): string {
  const mount = thinMountPointSync(stateDir);
  return mount ? join(mount, MYSQL_SUBDIR) : plainMysqlRoot(stateDir);
}
export const sourceRoot = (stateDir: string): string => join(mysqlStateRoot(stateDir), 'source');
export const kindDir = (stateDir: string, kind: ServerKind): string => join(mysqlStateRoot(stateDir), kind);

/** The server directory of a checkpoint, branch or working copy; never outside its kind's folder. */
export function serverRoot(stateDir: string, kind: ServerKind, name: string): string {
  if (!SEGMENT.test(name)) throw new BackendError(`${JSON.stringify(name)} is not a name vers-db gives`);
  return join(kindDir(stateDir, kind), name);
}

/** The id recorded for a checkpoint or branch: its server directory, relative to the servers' home. */
export const serverId = (kind: ServerKind, name: string): string => `${MYSQL_SUBDIR}/${kind}/${name}`;
