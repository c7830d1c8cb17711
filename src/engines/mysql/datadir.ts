/**
 * A tool-owned data directory: initialised once with mariadb-install-db, measured, and copied
 * physically (reflinked where the filesystem can, copied otherwise) while its server is stopped.
 */
import { chown, constants, copyFile, lstat, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { BackendError } from '../../errors.js';
import type { MysqlBinaries } from './binaries.js';
import { ownedDir, type ServerLayout } from './layout.js';
import { storageOptions } from './options.js';
import type { ServerOsUser } from './os-user.js';

/** A data directory is initialised once its system tables exist. */
export async function isInitialised(dataDir: string): Promise<boolean> {
  return stat(join(dataDir, 'mysql')).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

export async function initialiseDataDir(
  l: ServerLayout,
  bin: MysqlBinaries,
  owner: ServerOsUser | null,
  redoLogBytes: number,
): Promise<void> {
  await ownedDir(l.dataDir, owner);
  const r = await execa(
    bin.installDb,
    [
      '--no-defaults',
      ...storageOptions(l, { redoLogBytes }),
      ...(owner ? [`--user=${owner.name}`] : []),
      '--skip-test-db',
      // root@localhost only through the unix socket for the OS root user: the TCP tool user is
      // created with a password at the first start, so nothing here is reachable without one.
      '--auth-root-authentication-method=socket',
    ],
    { reject: false, all: true },
  );
  if (r.exitCode !== 0) {
    // A half-made directory would look initialised next time.
    await rm(l.dataDir, { recursive: true, force: true });
    throw new BackendError(`mariadb-install-db failed (exit ${r.exitCode}) in ${l.dataDir}`, {
      hint: tail(r.all ?? '', 8),
    });
  }
}

export function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export interface CopyStats {
  files: number;
  /** Apparent bytes copied (on XFS/Btrfs the blocks are shared, not written). */
  bytes: number;
  /** Files reflinked (sharing blocks with the original); the rest were copied in full. */
  reflinked: number;
  elapsedMs: number;
}

/** errno codes of a filesystem (or a pair of them) that cannot reflink: copy the bytes instead. */
const NO_REFLINK = new Set(['ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EINVAL', 'ENOSYS', 'ETXTBSY']);

/** Reflink `src` to `dst`, or copy it in full where the filesystem cannot; true when reflinked. */
async function cloneOrCopy(src: string, dst: string): Promise<boolean> {
  try {
    await copyFile(src, dst, constants.COPYFILE_FICLONE_FORCE | constants.COPYFILE_EXCL);
    return true;
  } catch (err) {
    if (!NO_REFLINK.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
    await rm(dst, { force: true });
    await copyFile(src, dst, constants.COPYFILE_EXCL);
    return false;
  }
}

/**
 * Copy `from` to `to` (which must not exist) file by file: a reflink on XFS/Btrfs (and a thin
 * volume, thin-volume.ts), a plain copy elsewhere; the stats count which. Modes are kept; as root the copy is given to the server's user.
 */
export async function copyDataDir(from: string, to: string, owner: ServerOsUser | null): Promise<CopyStats> {
  const started = performance.now();
  const stats = { files: 0, bytes: 0, reflinked: 0 };
  await copyTree(from, to, owner, stats);
  return { ...stats, elapsedMs: Math.round(performance.now() - started) };
}

async function copyTree(
  from: string,
  to: string,
  owner: ServerOsUser | null,
  stats: { files: number; bytes: number; reflinked: number },
): Promise<void> {
  const s = await lstat(from);
  await mkdir(to, { mode: s.mode & 0o7777 });
  if (owner) await chown(to, owner.uid, owner.gid);
  for (const e of await readdir(from, { withFileTypes: true })) {
    const src = join(from, e.name);
    const dst = join(to, e.name);
    if (e.isDirectory()) {
      await copyTree(src, dst, owner, stats);
    } else if (e.isFile()) {
      if (await cloneOrCopy(src, dst)) stats.reflinked += 1;
      if (owner) await chown(dst, owner.uid, owner.gid);
      stats.files += 1;
      stats.bytes += (await stat(dst)).size;
    } else {
      throw new BackendError(
        `${src} is neither a file nor a directory; a data directory copy cannot take it`,
      );
    }
  }
}

/** Bytes under `dir` (files only, apparent size). */
export async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await treeBytes(p);
    else if (e.isFile()) total += (await stat(p)).size;
  }
  return total;
}
