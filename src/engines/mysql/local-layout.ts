/**
 * Where the local MySQL storage keeps its servers inside the state directory: one server
 * directory each (layout.ts) for the source (`mysql/source`), every checkpoint (`mysql/ckpt/<tag>`),
 * every branch (`mysql/branch/<name>`) and every rollback working copy (`mysql/work/<tag>`).
 * Tags and branch names are validated names (state/names.ts), so each is one path segment.
 */
import { join } from 'node:path';
import { BackendError } from '../../errors.js';
import { MYSQL_SUBDIR } from '../../state/paths.js';

export { MYSQL_SUBDIR };
/** The database the tool-owned source serves (as the embedded PostgreSQL's `app`). */
export const MYSQL_SOURCE_DATABASE = 'app';

export type ServerKind = 'ckpt' | 'branch' | 'work';
export const SERVER_KINDS: readonly ServerKind[] = ['ckpt', 'branch', 'work'];

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,47}$/;

export const mysqlStateRoot = (stateDir: string): string => join(stateDir, MYSQL_SUBDIR);
export const sourceRoot = (stateDir: string): string => join(stateDir, MYSQL_SUBDIR, 'source');
export const kindDir = (stateDir: string, kind: ServerKind): string => join(stateDir, MYSQL_SUBDIR, kind);

/** The server directory of a checkpoint, branch or working copy; never outside its kind's folder. */
export function serverRoot(stateDir: string, kind: ServerKind, name: string): string {
  if (!SEGMENT.test(name)) throw new BackendError(`${JSON.stringify(name)} is not a name vers-db gives`);
  return join(kindDir(stateDir, kind), name);
}

/** The id recorded for a checkpoint or branch: its server directory, relative to the state directory. */
export const serverId = (kind: ServerKind, name: string): string => `${MYSQL_SUBDIR}/${kind}/${name}`;
