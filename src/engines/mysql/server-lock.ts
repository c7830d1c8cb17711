/**
 * One process at a time starts, stops, copies or removes a given server (the CLI and the MCP
 * server share the state directory): a lock file in the server's directory (state/file-lock.ts).
 */
import { SERVER_SECTION, withFileLock } from '../../state/file-lock.js';
import { makeRoot } from './layout.js';

export async function withServerLock<T>(root: string, fn: () => Promise<T>): Promise<T> {
  await makeRoot(root);
  return withFileLock(root, 'server.lock', SERVER_SECTION, fn);
}
