/**
 * One process at a time, across the CLI and the MCP server sharing a state directory: a lock file
 * (proper-lockfile) in `dir`, refreshed while held, stale once its holder has died.
 */
import { join } from 'node:path';
import lockfile from 'proper-lockfile';

export interface FileLockTiming {
  /** How many times to retry a taken lock, and the wait between tries (ms). */
  retries: number;
  minTimeoutMs: number;
  maxTimeoutMs: number;
  /** A lock not refreshed for this long belongs to a dead process (ms). */
  staleMs: number;
}

/** For short read-modify-write sections (the registry, the tested-files record). */
export const SHORT_SECTION: FileLockTiming = {
  retries: 100,
  minTimeoutMs: 20,
  maxTimeoutMs: 200,
  staleMs: 15_000,
};
/** For starting or stopping a server, which can take a minute while others wait. */
export const SERVER_SECTION: FileLockTiming = {
  retries: 900,
  minTimeoutMs: 100,
  maxTimeoutMs: 200,
  staleMs: 120_000,
};

/** Run `fn` holding `dir/<name>`; `dir` must exist (proper-lockfile locks a path that does). */
export async function withFileLock<T>(
  dir: string,
  name: string,
  timing: FileLockTiming,
  fn: () => Promise<T>,
): Promise<T> {
  const release = await lockfile.lock(dir, {
    lockfilePath: join(dir, name),
    realpath: false,
    retries: { retries: timing.retries, minTimeout: timing.minTimeoutMs, maxTimeout: timing.maxTimeoutMs },
    stale: timing.staleMs,
  });
  try {
    return await fn();
  } finally {
    await release();
  }
}
