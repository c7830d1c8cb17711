/**
 * Physical copies of a tool-owned server: a checkpoint or a branch is a copy of a stopped server's
 * data directory (consistent because nothing writes to it), served by its own `mariadbd` on its
 * own port. The copy keeps the tool user and its password; port and pid are the copy's own.
 */
import { rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { BackendError, ConflictError } from '../../errors.js';
import { type CopyStats, copyDataDir } from './datadir.js';
import { prepareLayout, serverLayout } from './layout.js';
import { serverOsUser } from './os-user.js';
import { type MysqlServer, reapLocked, type StartOptions, serverStatus, startServer } from './server.js';
import { withServerLock } from './server-lock.js';
import { readServerState, writeServerState } from './state.js';

/** Copy the stopped server in `fromRoot` to a new server directory `toRoot` (not started). */
export function copyServer(fromRoot: string, toRoot: string): Promise<CopyStats> {
  // The source stays stopped while it is copied: nobody starts it under the lock.
  return withServerLock(fromRoot, () => withServerLock(toRoot, () => copyLocked(fromRoot, toRoot)));
}

async function copyLocked(fromRoot: string, toRoot: string): Promise<CopyStats> {
  const from = serverLayout(fromRoot);
  const to = serverLayout(toRoot);
  const state = await readServerState(from.stateFile);
  if (!state) throw new BackendError(`${fromRoot} holds no vers-db MariaDB server`);
  const status = await serverStatus(fromRoot);
  if (status === 'running') {
    throw new BackendError(`the server in ${fromRoot} is running; a consistent copy needs it stopped`, {
      hint: 'stop it first (a clean shutdown), then copy',
    });
  }
  if (status === 'crashed') {
    throw new BackendError(
      `the server in ${fromRoot} did not shut down cleanly; its files are not a checkpoint`,
      {
        hint: 'start and stop it once so InnoDB recovers, then copy',
      },
    );
  }
  if (
    await stat(to.dataDir).then(
      () => true,
      () => false,
    )
  ) {
    throw new ConflictError(`${to.dataDir} already exists`);
  }
  const owner = await serverOsUser();
  await prepareLayout(to, owner);
  try {
    const stats = await copyDataDir(from.dataDir, to.dataDir, owner);
    await writeServerState(to.stateFile, { ...state, port: null, pid: null });
    return stats;
  } catch (err) {
    await removeFiles(toRoot);
    throw err;
  }
}

/** Everything of a server but its lock file (removed with the directory once the lock is released). */
async function removeFiles(root: string): Promise<void> {
  const l = serverLayout(root);
  for (const path of [l.dataDir, l.runDir, l.stateFile]) await rm(path, { recursive: true, force: true });
  if (dirname(l.socket) !== l.runDir) await rm(dirname(l.socket), { recursive: true, force: true });
}

/** Stop the server of `root` if it runs, and remove it with its files (a destroyed branch). */
export async function destroyServer(root: string): Promise<void> {
  await withServerLock(root, async () => {
    await reapLocked(root);
    await removeFiles(root);
  });
  await rm(root, { recursive: true, force: true });
}

export interface Branch {
  server: MysqlServer;
  copy: CopyStats;
  startMs: number;
}

/** Copy the stopped server in `fromRoot` to `toRoot` and start a server on the copy. */
export async function branchServer(
  fromRoot: string,
  toRoot: string,
  options: StartOptions = {},
): Promise<Branch> {
  const copy = await copyServer(fromRoot, toRoot);
  const t0 = performance.now();
  const server = await startServer(toRoot, options);
  return { server, copy, startMs: Math.round(performance.now() - t0) };
}
