/** vers-db's own local backend, pointed at one of the bench servers through DATABASE_URL. */
import { type Context, createContext } from '../../src/core/context.js';
import { urlOf } from '../../src/util/pg.js';
import { inDatabase } from './data.js';
import type { BenchServer } from './servers.js';

/** Variables of the caller that would steer vers-db somewhere else. */
const STEERING = ['DATABASE_URL', 'VERS_DB_HOME', 'VERS_DB_BACKEND', 'VERS_DB_CLONE_STRATEGY'];

export function benchEnv(
  server: BenchServer,
  database: string,
  stateDir: string,
  cloneStrategy?: string,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of STEERING) delete env[k];
  env.DATABASE_URL = urlOf(inDatabase(server.url, database));
  env.VERS_DB_HOME = stateDir;
  env.VERS_DB_BACKEND = 'local';
  if (cloneStrategy) env.VERS_DB_CLONE_STRATEGY = cloneStrategy;
  return env;
}

export function benchContext(
  server: BenchServer,
  database: string,
  stateDir: string,
  cloneStrategy?: string,
): Context {
  return createContext({
    env: benchEnv(server, database, stateDir, cloneStrategy),
    cwd: stateDir,
    log: () => {},
  });
}
