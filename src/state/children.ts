/**
 * Process groups the tool starts that outlive it when it is killed: shell steps (a migration
 * command, a validation, an ETL job) and `vers tunnel` children. `client_connection_check_interval`
 * cannot stop them, because they are not connections. Each is recorded in `<state>/children/`
 * while it runs; when the process that started it is gone, the next command kills the group.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stateWriteError } from './atomic-write.js';

const CHILDREN_DIR = 'children';

export interface ChildRecord {
  /** Process group id (the leader's pid: children are spawned detached, leading their own group). */
  pgid: number;
  /** The tool process that started it. */
  owner: number;
  /** Start times (Linux /proc ticks) so a recycled pid is never taken for them; '' where unknown. */
  ownerStart: string;
  leaderStart: string;
  /** What it is, for messages: "command", "validation", "vers tunnel". */
  what: string;
}

/** Linux: a process's start time in clock ticks since boot; null where /proc does not tell. */
export async function startTimeOf(pid: number): Promise<string | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Is `pid` alive and still the process recorded with `start` (when the OS tells start times)? */
export async function sameProcess(pid: number, start: string): Promise<boolean> {
  if (!processAlive(pid)) return false;
  const now = await startTimeOf(pid);
  return now === null || start === '' || now === start;
}

/** Record a running child group; the returned function removes the record when it has ended. */
export async function recordChild(
  stateDir: string,
  pgid: number,
  what: string,
): Promise<() => Promise<void>> {
  const dir = join(stateDir, CHILDREN_DIR);
  const file = join(dir, `${pgid}.json`);
  const record: ChildRecord = {
    pgid,
    owner: process.pid,
    ownerStart: (await startTimeOf(process.pid)) ?? '',
    leaderStart: (await startTimeOf(pgid)) ?? '',
    what,
  };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(file, JSON.stringify(record), { mode: 0o600 }).catch(async (err: unknown) => {
    await rm(file, { force: true }).catch(() => undefined);
    throw stateWriteError(file, err);
  });
  return () => rm(file, { force: true });
}

/** Kill every recorded group whose owner is gone; returns what was stopped. */
export async function reapOrphanedChildren(stateDir: string): Promise<string[]> {
  const dir = join(stateDir, CHILDREN_DIR);
  const names = await readdir(dir).catch(() => [] as string[]);
  const stopped: string[] = [];
  for (const name of names) {
    const file = join(dir, name);
    let r: ChildRecord;
    try {
      r = JSON.parse(await readFile(file, 'utf8')) as ChildRecord;
    } catch {
      await rm(file, { force: true });
      continue;
    }
    if (await sameProcess(r.owner, r.ownerStart)) continue; // its owner still runs it
    // The leader may have exited while its group lives on; a leader pid now used by another process is not ours.
    const leaderNow = await startTimeOf(r.pgid);
    const reused = leaderNow !== null && r.leaderStart !== '' && leaderNow !== r.leaderStart;
    if (!reused) {
      try {
        process.kill(-r.pgid, 'SIGKILL');
        stopped.push(`${r.what} (process group ${r.pgid}) of exited process ${r.owner}`);
      } catch {
        // ESRCH: the group is already gone
      }
    }
    await rm(file, { force: true });
  }
  return stopped;
}
