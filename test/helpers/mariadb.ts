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
