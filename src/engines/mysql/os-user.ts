/**
 * Which OS user the server runs as. mariadbd refuses to run as root, so when vers-db runs as root
 * the server drops to the `mysql` user (created by the mariadb-server package), which must own the
 * data directory and be able to enter every directory above it.
 */
import { userInfo } from 'node:os';
import { execa } from 'execa';
import { BackendError } from '../../errors.js';
import { INSTALL_HINT } from './binaries.js';

export interface ServerOsUser {
  name: string;
  uid: number;
  gid: number;
}

export const SERVER_OS_USER = 'mysql';

/** The user to pass as `--user`, or null when vers-db is not root (the server runs as us). */
export async function serverOsUser(): Promise<ServerOsUser | null> {
  if (userInfo().uid !== 0) return null;
  const uid = await execa('id', ['-u', '--', SERVER_OS_USER], { reject: false });
  const gid = await execa('id', ['-g', '--', SERVER_OS_USER], { reject: false });
  if (uid.exitCode !== 0 || gid.exitCode !== 0) {
    throw new BackendError(
      `vers-db runs as root, and MariaDB must run as the OS user "${SERVER_OS_USER}", which does not exist`,
      { hint: INSTALL_HINT },
    );
  }
  return { name: SERVER_OS_USER, uid: Number(uid.stdout), gid: Number(gid.stdout) };
}

/** Every directory from `dir` up must be enterable by the server's user, or it cannot reach its data. */
export async function assertEnterable(dir: string, who: ServerOsUser | null): Promise<void> {
  if (!who) return;
  const r = await execa('test', ['-x', dir], { uid: who.uid, gid: who.gid, reject: false });
  if (r.exitCode !== 0) {
    throw new BackendError(`the MariaDB server runs as the OS user ${who.name}, which cannot enter ${dir}`, {
      hint: `let other users traverse the directories above it (chmod o+x), or use a state directory elsewhere (VERS_DB_HOME)`,
    });
  }
}
