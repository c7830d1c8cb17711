/**
 * One process at a time starts, stops, copies or removes a given server (the CLI and the MCP
 * server share the state directory). A lock file in the server's directory, released on exit and
 * considered stale after two minutes without a refresh (its holder died).
 */
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { makeRoot } from './layout.js';

export async function withServerLock<T>(root: string, fn: () => Promise<T>): Promise<T> {
  await makeRoot(root);
  const release = await lockfile.lock(root, {
    lockfilePath: join(root, 'server.lock'),
    realpath: false,
    retries: { retries: 900, minTimeout: 100, maxTimeout: 200 },
    stale: 120_000,
  });
  try {
    return await fn();
  } finally {
    await release();
  }
}
