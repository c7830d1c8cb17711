import { resolve } from 'node:path';

/** The state directory shared by the CLI and the MCP server: VERS_DB_HOME, else ./.vers-db. */
export function stateDir(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  return env.VERS_DB_HOME ? resolve(cwd, env.VERS_DB_HOME) : resolve(cwd, '.vers-db');
}
