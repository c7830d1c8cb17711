/**
 * `vers-db demo --engine mysql` as a user runs it (README): on a tool-owned MariaDB it loads
 * examples/mysql/, checkpoints, and tests strategies A, B, C and ALGORITHM=COPY / INSTANT through
 * the core path; `--long-reader` makes even the INSTANT ALTER wait. A second run refuses to
 * rebuild a demo database someone added to. No server of the demo outlives `down`.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { MYSQL_DEMO_DATABASE } from '../../../src/cli/demo/mysql.js';
import { MYSQL_STRATEGIES } from '../../../src/cli/demo/mysql-example.js';
import { settingsFromUrl, withMysql } from '../../../src/engines/mysql/client.js';
import { ComparisonSchema } from '../../../src/result.js';
import { cli } from '../../helpers/cli.js';
import { mariadbAvailable, noteSkipped } from '../../helpers/mariadb.js';

noteSkipped('the `demo --engine mysql` CLI test');

const HOLD_MS = 1500;

/** mariadbd processes whose command line names a path under `dir`. */
async function serversUnder(dir: string): Promise<string[]> {
  const r = await execa('ps', ['-eo', 'args'], { reject: false });
  return String(r.stdout)
    .split('\n')
    .filter((l) => /mariadbd|mysqld/.test(l) && l.includes(dir));
}

describe.skipIf(!mariadbAvailable)('vers-db demo --engine mysql', () => {
  let dir = '';
  let env: Record<string, string> = {};

  afterAll(async () => {
    if (dir) {
      await cli(['gc'], { ...env, VERS_DB_ENGINE: 'mysql' }, dir);
      await cli(['down', '--engine', 'mysql'], env, dir);
      expect(await serversUnder(dir)).toEqual([]);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('measures the five strategies; the long reader makes even INSTANT wait; a foreign object stops a rerun', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vdb-my-demo-'));
    await chmod(dir, 0o755);
    env = { VERS_DB_HOME: join(dir, '.vers-db') };
    const r = await cli(
      ['demo', '--engine', 'mysql', '--rows', '2000', '--long-reader', String(HOLD_MS), '--json'],
      env,
      dir,
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const c = ComparisonSchema.parse(JSON.parse(r.stdout));
    expect(c.engine).toBe('mysql');
    expect(c.results.map((x) => x.name)).toEqual(MYSQL_STRATEGIES.map((s) => s.name));
    for (const x of c.results) {
      expect(x.status, `${x.name}: ${x.error}`).toBe('passed');
      expect(x.engine).toBe('mysql');
      expect(x.integrity.ok, x.name).toBe(true);
    }
    const byName = Object.fromEntries(c.results.map((x) => [x.name, x]));
    const users = `${MYSQL_DEMO_DATABASE}.users`;
    expect(byName['algorithm-copy']!.rewrites).toContain(users);
    expect(byName['algorithm-instant']!.rewrites).toEqual([]);
    // The INSTANT ALTER cannot finish before the long reader commits, and the application queues behind it.
    const instant = byName['algorithm-instant']!;
    expect(instant.statements[0]!.duration_ms).toBeGreaterThan(HOLD_MS * 0.6);
    expect(instant.blocking.reads.max_wait_ms).toBeGreaterThan(HOLD_MS * 0.3);
    expect(r.stderr).toMatch(/first result/);

    // Someone adds a table to the demo database (the demo's server stopped with it: `up` keeps it running).
    const up = await cli(['up', '--engine', 'mysql'], env, dir);
    expect(up.exitCode, up.stderr).toBe(0);
    const url = /^DATABASE_URL=(mysql:\S+)$/m.exec(up.stdout)?.[1];
    await withMysql(settingsFromUrl(url!), (m) =>
      m.query(`CREATE TABLE ${MYSQL_DEMO_DATABASE}.mine (id INT PRIMARY KEY)`),
    );
    const again = await cli(['demo', '--engine', 'mysql', '--rows', '2000'], env, dir);
    expect(again.exitCode).not.toBe(0);
    expect(again.stderr).toMatch(/holds 1 object\(s\) the demo did not create: base table mine/);
  });
});
