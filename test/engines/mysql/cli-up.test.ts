/**
 * `vers-db up --engine mysql` as a user runs it: a mysql:// DATABASE_URL that connects, status and
 * branches naming the engine, a foreign MySQL server refused clearly, `down` stopping the server,
 * and a clear error when the MariaDB programs are missing.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { settingsFromUrl, withMysql } from '../../../src/engines/mysql/client.js';
import { serverLayout } from '../../../src/engines/mysql/layout.js';
import { sourceRoot } from '../../../src/engines/mysql/local-layout.js';
import { pidAlive } from '../../../src/engines/mysql/process.js';
import { readServerState } from '../../../src/engines/mysql/state.js';
import { cli } from '../../helpers/cli.js';
import { mariadbAvailable, noteSkipped } from '../../helpers/mariadb.js';

noteSkipped('the `up --engine mysql` CLI tests');

describe.skipIf(!mariadbAvailable)('vers-db up --engine mysql', () => {
  let dir: string;
  let env: Record<string, string>;

  afterAll(async () => {
    if (env) await cli(['down', '--engine', 'mysql'], env, dir);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('prints a mysql:// DATABASE_URL that connects; status shows the engine; down stops the server', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vdb-my-cli-'));
    await chmod(dir, 0o755);
    const home = join(dir, '.vers-db');
    env = { VERS_DB_HOME: home };
    const up = await cli(['up', '--engine', 'mysql'], env, dir);
    expect(up.exitCode, up.stderr).toBe(0);
    const url = /^DATABASE_URL=(mysql:\/\/versdb:[0-9a-f]+@127\.0\.0\.1:\d+\/app)$/m.exec(up.stdout)?.[1];
    expect(url, up.stdout).toBeTruthy();
    const n = await withMysql(settingsFromUrl(url!), async (c) => {
      await c.query('CREATE TABLE t (id INT PRIMARY KEY)');
      await c.query('INSERT INTO t VALUES (1), (2), (3)');
      return ((await c.query('SELECT COUNT(*) AS n FROM t'))[0] as { n: number }[])[0]!.n;
    });
    expect(Number(n)).toBe(3);

    // A second `up` finds it running and prints the same URL; it outlived the first command.
    const again = await cli(['up'], { ...env, VERS_DB_ENGINE: 'mysql' }, dir);
    expect(again.stdout).toContain(`DATABASE_URL=${url}`);

    // With the printed URL, the engine comes from its scheme.
    const withUrl = { ...env, DATABASE_URL: url! };
    const status = await cli(['status', '--json'], withUrl, dir);
    expect(status.exitCode, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      engine: 'mysql',
      source_server: { status: 'running', port: settingsFromUrl(url!).port },
    });
    const gc = await cli(['gc', '--json'], withUrl, dir);
    expect(gc.exitCode, gc.stderr).toBe(0);

    // --engine postgres against a mysql:// URL is bad input, not a guess.
    const clash = await cli(['status', '--engine', 'postgres'], withUrl, dir);
    expect(clash.exitCode).toBe(2);
    expect(clash.stderr).toMatch(/PostgreSQL.*MySQL\/MariaDB URL/);

    const pid = (await readServerState(serverLayout(sourceRoot(home)).stateFile))!.pid!;
    const down = await cli(['down', '--engine', 'mysql'], env, dir);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(down.stderr).toMatch(/MySQL source server stopped/);
    expect(await pidAlive(pid)).toBe(false);
    const after = await cli(['status', '--engine', 'mysql'], env, dir);
    expect(after.stdout).toMatch(/source server:\s+stopped/);
  });

  it('a MySQL server vers-db does not run must name its database (the logical fallback copies it)', async () => {
    const home = await mkdtemp(join(tmpdir(), 'vdb-my-foreign-'));
    try {
      const r = await cli(
        ['gc'],
        { VERS_DB_HOME: home, DATABASE_URL: 'mysql://app:secret@db.example:3306/' },
        home,
      );
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(/a MySQL\/MariaDB server vers-db does not run .* names no database/);
      expect(r.stderr).toMatch(/mysql:\/\/…\/<database>/);
      expect(r.stderr).not.toContain('secret');
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('missing MariaDB programs are a clear error that says what to install', async () => {
    const home = await mkdtemp(join(tmpdir(), 'vdb-my-nobin-'));
    try {
      const r = await cli(
        ['up', '--engine', 'mysql'],
        { VERS_DB_HOME: home, VERS_DB_MARIADB_BIN: join(home, 'none') },
        home,
      );
      expect(r.exitCode).toBe(3);
      expect(r.stderr).toMatch(/MariaDB server programs .* are not installed/);
      expect(r.stderr).toMatch(/apt-get install mariadb-server/);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
