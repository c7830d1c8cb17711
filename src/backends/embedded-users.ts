/**
 * Who uses the embedded server: one file per live process in `<state>/embedded-users/`, named
 * by pid and holding the process's start time (so a recycled pid is not mistaken for it). A
 * server started on demand is stopped only when no live process is left in it (issue 10: a CLI
 * that had started the server stopped it on exit while another CLI was mid-test).
 */

import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SERVER_SECTION, withFileLock } from '../state/file-lock.js';
import { ensureStateDir, STATE_DIR_MODE, STATE_FILE_MODE } from '../state/paths.js';

const USERS_DIR = 'embedded-users';

/** Linux: the process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat). */
async function startTimeOf(pid: number): Promise<string | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Is `pid` still the process that registered (same start time where the OS tells it)? */
async function stillRunning(pid: number, recorded: string): Promise<boolean> {
  if (!alive(pid)) return false;
  const now = await startTimeOf(pid);
  return now === null || recorded === '' || now === recorded;
}

/** Record this process (or `pid`) as a user of the server in `stateDir`. */
export async function addUser(stateDir: string, pid = process.pid): Promise<void> {
  const dir = join(stateDir, USERS_DIR);
  await mkdir(dir, { recursive: true, mode: STATE_DIR_MODE });
  await writeFile(join(dir, String(pid)), (await startTimeOf(pid)) ?? '', { mode: STATE_FILE_MODE });
}

export async function removeUser(stateDir: string, pid = process.pid): Promise<void> {
  await rm(join(stateDir, USERS_DIR, String(pid)), { force: true });
}

/** Live users of the server; the records of dead processes are removed on the way. */
export async function liveUsers(stateDir: string): Promise<number[]> {
  const dir = join(stateDir, USERS_DIR);
  const names = await readdir(dir).catch(() => [] as string[]);
  const live: number[] = [];
  for (const name of names) {
    const pid = Number(name);
    const recorded = await readFile(join(dir, name), 'utf8').catch(() => null);
    if (Number.isInteger(pid) && pid > 0 && recorded !== null && (await stillRunning(pid, recorded.trim())))
      live.push(pid);
    else await rm(join(dir, name), { force: true });
  }
  return live;
}

/** Starting, joining and stopping the server happen one at a time across processes. */
export async function withEmbeddedLock<T>(stateDir: string, fn: () => Promise<T>): Promise<T> {
  await ensureStateDir(stateDir);
  return withFileLock(stateDir, 'embedded.lock', SERVER_SECTION, fn);
}
