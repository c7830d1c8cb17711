/**
 * Where the embedded server puts its Unix socket. A socket path must fit in sun_path (108 bytes
 * on Linux, 104 on macOS), so a state directory deep in a project made the server fail to start.
 * The data directory is used when the path fits; otherwise a short private directory in /tmp,
 * named after the data directory so every start finds the same one.
 */
import { createHash } from 'node:crypto';
import { chmod, chown, lstat, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

/** The longest file the server creates there, and room to spare under 104 bytes. */
const LONGEST_ENTRY = '.s.PGSQL.65535.lock';
export const SOCKET_PATH_MAX = 100;

export function socketDirFor(dataDir: string): string {
  if (Buffer.byteLength(join(dataDir, LONGEST_ENTRY)) <= SOCKET_PATH_MAX) return dataDir;
  const id = createHash('sha256').update(dataDir).digest('hex').slice(0, 16);
  return join('/tmp', `vers-db-${id}`);
}

/** Create the short directory (0700, owned by the server's OS user); a no-op for the data directory. */
export async function prepareSocketDir(
  dataDir: string,
  owner: { uid: number; gid: number } | null,
): Promise<string> {
  const dir = socketDirFor(dataDir);
  if (dir === dataDir) return dir;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const s = await lstat(dir);
  // /tmp is shared: never follow a link or use a directory someone else made.
  const uid = owner?.uid ?? process.getuid?.() ?? s.uid;
  if (!s.isDirectory() || s.isSymbolicLink() || (s.uid !== uid && s.uid !== process.getuid?.())) {
    throw new Error(`${dir} is not a private directory of this user`);
  }
  await chmod(dir, 0o700);
  if (owner) await chown(dir, owner.uid, owner.gid);
  return dir;
}
