/**
 * The server process seen from outside: is a pid alive (a zombie is not), is it our mariadbd (its
 * command line names our data directory, so a recycled pid is never signalled), wait for it to exit.
 */
import { readFile } from 'node:fs/promises';

const POLL_MS = 25;

/** Alive and not a zombie (Linux: state field of /proc/<pid>/stat). */
export async function pidAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return process.platform !== 'linux';
  }
}

/** Is `pid` a server started on `dataDir`? Where /proc is missing, trust a live pid. */
export async function isServerOf(pid: number, dataDir: string): Promise<boolean> {
  if (!(await pidAlive(pid))) return false;
  try {
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    return argv.includes(`--datadir=${dataDir}`);
  } catch {
    return process.platform !== 'linux';
  }
}

/** The pid in a pid file, or null when there is none or it is not a number. */
export async function readPid(file: string): Promise<number | null> {
  try {
    const pid = Number((await readFile(file, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Resolves true once the process is gone, false if it is still there after `timeoutMs`. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!(await pidAlive(pid))) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}
