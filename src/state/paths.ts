import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** The state directory shared by the CLI and the MCP server: VERS_DB_HOME, else ./.vers-db. */
export function stateDir(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  return env.VERS_DB_HOME ? resolve(cwd, env.VERS_DB_HOME) : resolve(cwd, '.vers-db');
}

/**
 * Create the state directory if needed. It lives in the user's project (a database cluster,
 * passwords, the registry), so it carries its own .gitignore and is never committed by accident.
 */
export async function ensureStateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, '.gitignore'), '# vers-db state: databases, passwords, registry\n*\n', {
    flag: 'wx',
  }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
}
