/**
 * One tool-owned MariaDB server for a test file: started in beforeAll in a temporary directory
 * the mysql OS user can enter, stopped in afterAll with a check that its process is gone. Files
 * skip (with a message) only when the MariaDB programs are not installed.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { mysqlServerAvailable } from '../../src/engines/mysql/binaries.js';
import { stopSource } from '../../src/engines/mysql/local-source.js';
import { pidAlive } from '../../src/engines/mysql/process.js';
import { type MysqlServer, startServer, stopServer } from '../../src/engines/mysql/server.js';

export const mariadbAvailable = await mysqlServerAvailable();

/** Call at module level: prints why the file's MariaDB tests are skipped. */
export function noteSkipped(what: string): void {
  if (!mariadbAvailable) {
    console.error(
      `skipping ${what}: mariadbd is not installed (apt-get install mariadb-server mariadb-client)`,
    );
  }
}

/** Call inside a describe: the server, available from beforeAll on. */
export function useMariadb(prefix: string): () => MysqlServer {
  let dir: string | undefined;
  let server: MysqlServer | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `vdb-my-${prefix}-`));
    await chmod(dir, 0o755); // the mysql OS user (tests run as root in CI) must enter it
    server = await startServer(join(dir, 's'));
  });
  afterAll(async () => {
    if (server) {
      await stopServer(server.layout.root);
      expect(await pidAlive(server.pid)).toBe(false);
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return () => {
    if (!server) throw new Error('the MariaDB server is not started yet (use it from beforeAll on)');
    return server;
  };
}

export interface MysqlProject {
  /** The project directory (the mysql OS user may enter it). */
  dir: string;
  /** Its state directory (VERS_DB_HOME). */
  state: string;
  /** process.env with VERS_DB_HOME set, and no DATABASE_URL or VERS_DB_ENGINE of the caller's. */
  env: NodeJS.ProcessEnv;
}

/**
 * Call first inside a describe: a temporary project for the local MySQL backend, made in
 * beforeAll. Its afterAll runs after the file's own (which release contexts and branches): it
 * stops the project's source server and removes the directory.
 */
export function useMysqlProject(prefix: string): () => MysqlProject {
  let project: MysqlProject | undefined;
  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), `vdb-my-${prefix}-`));
    await chmod(dir, 0o755); // the mysql OS user (tests run as root in CI) must enter it
    const state = join(dir, 'state');
    const env: NodeJS.ProcessEnv = { ...process.env, VERS_DB_HOME: state };
    delete env.DATABASE_URL;
    delete env.VERS_DB_ENGINE;
    project = { dir, state, env };
  });
  afterAll(async () => {
    if (!project) return;
    await stopSource(project.state).catch(() => undefined);
    await rm(project.dir, { recursive: true, force: true });
  });
  return () => {
    if (!project) throw new Error('the MySQL project is not made yet (use it from beforeAll on)');
    return project;
  };
}
