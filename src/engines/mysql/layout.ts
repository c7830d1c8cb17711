/**
 * Where a tool-owned server keeps its files. One directory per server (the source server, each
 * checkpoint, each branch): `data/` is the MariaDB data directory, the only part a copy takes;
 * `run/` holds the pid file, the error log and (when the path is short enough) the socket;
 * `server.json` holds the port and the tool user's password (owner-only).
 */
import { createHash } from 'node:crypto';
import { chmod, chown, lstat, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { BackendError } from '../../errors.js';
import { assertEnterable, type ServerOsUser } from './os-user.js';

export interface ServerLayout {
  root: string;
  dataDir: string;
  runDir: string;
  pidFile: string;
  errorLog: string;
  socket: string;
  stateFile: string;
  /** SQL run once at the first start (creates the tool user); deleted as soon as the server is up. */
  initFile: string;
}

/** sun_path is 108 bytes on Linux, 104 on macOS: keep room to spare. */
export const SOCKET_PATH_MAX = 100;
const SOCKET_NAME = 'mysqld.sock';

export function serverLayout(root: string): ServerLayout {
  const runDir = join(root, 'run');
  const inRun = join(runDir, SOCKET_NAME);
  const socket =
    Buffer.byteLength(inRun) <= SOCKET_PATH_MAX
      ? inRun
      : join(
          '/tmp',
          `vers-db-my-${createHash('sha256').update(root).digest('hex').slice(0, 16)}`,
          SOCKET_NAME,
        );
  return {
    root,
    dataDir: join(root, 'data'),
    runDir,
    pidFile: join(runDir, 'mariadbd.pid'),
    errorLog: join(runDir, 'error.log'),
    socket,
    stateFile: join(root, 'server.json'),
    initFile: join(runDir, 'init.sql'),
  };
}

/**
 * The server's directory, and any missing directory above it traversable by others (0711), so
 * that the server's OS user can reach what is inside; the user's own directories are not changed.
 */
export async function makeRoot(root: string): Promise<void> {
  await mkdir(dirname(root), { recursive: true, mode: 0o711 });
  await mkdir(root, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
}

/** A directory the server's user owns (0700), made if missing; never a link or someone else's. */
export async function ownedDir(dir: string, owner: ServerOsUser | null): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const s = await lstat(dir);
  const me = process.getuid?.();
  if (!s.isDirectory() || s.isSymbolicLink() || (s.uid !== me && s.uid !== owner?.uid)) {
    throw new BackendError(`${dir} is not a private directory of vers-db`);
  }
  await chmod(dir, 0o700);
  if (owner) await chown(dir, owner.uid, owner.gid);
}

/**
 * The server directory itself: ours, enterable (not listable) by the server's user when it is
 * another user; `run/` and the socket's directory belong to the server.
 */
export async function prepareLayout(l: ServerLayout, owner: ServerOsUser | null): Promise<void> {
  await makeRoot(l.root);
  await chmod(l.root, owner ? 0o711 : 0o700);
  await assertEnterable(l.root, owner);
  await ownedDir(l.runDir, owner);
  const socketDir = join(l.socket, '..');
  if (socketDir !== l.runDir) await ownedDir(socketDir, owner);
}
