/**
 * Issue 10: 10 × `kill -9` mid-test left 7 branch databases and 8 stale registry entries until
 * someone ran `gc`; backends kept running the migration; shell steps kept running. Now the
 * backend stops within seconds, and the next command (any command) cleans up on start.
 */
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedStatus, stopEmbedded } from '../src/backends/embedded.js';
import { processAlive } from '../src/state/children.js';
import { withClient } from '../src/util/pg.js';
import { cli, startCli } from './helpers/cli.js';
import { adminConfig } from './helpers/db.js';
import { createProject, type TestProject } from './helpers/project.js';

const SCHEMA = `CREATE TABLE users (id int PRIMARY KEY, email text);
  INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 500) g;`;

async function waitUntil<T>(probe: () => Promise<T>, ok: (v: T) => boolean, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  let v = await probe();
  while (!ok(v) && Date.now() < deadline) {
    await sleep(100);
    v = await probe();
  }
  return v;
}

describe('crash recovery', () => {
  let p: TestProject;
  let instance: string;
  beforeAll(async () => {
    p = await createProject(SCHEMA);
    await chmod(p.dir, 0o755); // as root, shell steps run as an unprivileged user that must enter it
    expect((await cli(['checkpoint', 'base'], p.env, p.dir)).exitCode).toBe(0);
    instance = (await p.ctx.registry.read()).instance;
  });
  afterAll(async () => {
    await p.cleanup();
  });

  const branchDatabases = () =>
    withClient(adminConfig(), async (c) =>
      (
        await c.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [
          `vdb_${instance}_b_%`,
        ])
      ).rows.map((r) => r.datname),
    );
  const activeMigrations = () =>
    withClient(adminConfig(), async (c) =>
      Number(
        (
          await c.query<{ n: string }>(
            `SELECT count(*) AS n FROM pg_stat_activity
             WHERE application_name = 'vers-db:migration' AND datname LIKE $1 AND state = 'active'`,
            [`vdb_${instance}_b_%`],
          )
        ).rows[0]!.n,
      ),
    );

  it('kill -9 mid-migration: the backend stops, and the next command removes the branch', async () => {
    await p.file('slow.sql', 'SELECT pg_sleep(120);\n');
    const run = startCli(['test', 'base', 'slow.sql'], p.env, p.dir);
    expect(await waitUntil(activeMigrations, (n) => n === 1, 60_000)).toBe(1);
    expect(await branchDatabases()).toHaveLength(1);
    run.kill('SIGKILL');
    await run;
    expect(await waitUntil(activeMigrations, (n) => n === 0, 10_000)).toBe(0);
    expect(Object.keys((await p.ctx.registry.read()).branches)).toHaveLength(1);

    const next = await cli(['branches', '--json'], p.env, p.dir);
    expect(next.exitCode).toBe(0);
    expect(next.stderr).toMatch(/cleaned up after an exited vers-db process: removed branch slow-/);
    expect(Object.keys((await p.ctx.registry.read()).branches)).toEqual([]);
    expect(await branchDatabases()).toEqual([]);
  });

  it('kill -9 during a shell step: the next command stops its process group', async () => {
    const marker = `vers-db-crash-${process.pid}`;
    const run = startCli(['test', 'base', '--kind', 'command', `sleep 300; echo ${marker}`], p.env, p.dir);
    const children = join(p.env.VERS_DB_HOME!, 'children');
    const files = await waitUntil(
      () => readdir(children).catch(() => [] as string[]),
      (f) => f.length === 1,
      60_000,
    );
    expect(files).toHaveLength(1);
    const { pgid } = JSON.parse(await readFile(join(children, files[0]!), 'utf8')) as { pgid: number };
    run.kill('SIGKILL');
    await run;
    await sleep(500);
    expect(processAlive(pgid)).toBe(true); // bash -c "sleep 300" outlives the tool

    const next = await cli(['branches'], p.env, p.dir);
    expect(next.exitCode).toBe(0);
    expect(next.stderr).toMatch(/stopped command \(process group \d+\)/);
    expect(
      await waitUntil(
        async () => processAlive(pgid),
        (alive) => !alive,
        5000,
      ),
    ).toBe(false);
    expect(await readdir(children)).toEqual([]);
    expect(await branchDatabases()).toEqual([]);
  });

  it('an on-demand embedded server whose starter was killed is stopped after the next command', async () => {
    const home = await mkdtemp(join(tmpdir(), 'vers-db-ondemand-'));
    await chmod(home, 0o755);
    const env = { VERS_DB_HOME: join(home, '.vers-db') };
    try {
      await writeFile(join(home, 'slow.sql'), 'SELECT pg_sleep(60);\n');
      const first = startCli(['checkpoint', 'base'], env, home);
      const running = () => embeddedStatus(env.VERS_DB_HOME).then((s) => s.running);
      expect(await waitUntil(running, (up) => up, 90_000)).toBe(true);
      await first; // the checkpoint finishes; now a test that gets killed
      const second = startCli(['test', 'base', 'slow.sql'], env, home);
      await sleep(4000);
      second.kill('SIGKILL');
      await second;
      expect(await running()).toBe(true); // nobody left to stop it
      const next = await cli(['branches'], env, home);
      expect(next.exitCode).toBe(0);
      expect(await running()).toBe(false);
    } finally {
      await stopEmbedded(env.VERS_DB_HOME).catch(() => undefined);
      await rm(home, { recursive: true, force: true });
    }
  });

  it('SIGHUP of a CLI that started the embedded server on demand: no branch and no server left, without another command', async () => {
    const home = await mkdtemp(join(tmpdir(), 'vers-db-hup-'));
    await chmod(home, 0o755);
    const env = { VERS_DB_HOME: join(home, '.vers-db') };
    try {
      await writeFile(join(home, 'slow.sql'), 'SELECT pg_sleep(60);\n');
      expect((await cli(['checkpoint', 'base'], env, home)).exitCode).toBe(0);
      const running = () => embeddedStatus(env.VERS_DB_HOME).then((s) => s.running);
      expect(await running()).toBe(false); // its starter left: stopped
      const branches = async () =>
        Object.keys(
          (
            JSON.parse(await readFile(join(env.VERS_DB_HOME, 'registry.json'), 'utf8')) as {
              branches: object;
            }
          ).branches,
        );
      const run = startCli(['test', 'base', 'slow.sql'], env, home);
      expect(await waitUntil(branches, (b) => b.length === 1, 90_000)).toHaveLength(1);
      await sleep(1500); // the migration is running
      run.kill('SIGHUP');
      const r = await run;
      expect(r.exitCode).toBe(130);
      expect(await branches()).toEqual([]);
      expect(await running()).toBe(false);
    } finally {
      await stopEmbedded(env.VERS_DB_HOME).catch(() => undefined);
      await rm(home, { recursive: true, force: true });
    }
  });

  it('SIGHUP cancels and cleans up like SIGTERM', async () => {
    await p.file('slow2.sql', 'SELECT pg_sleep(120);\n');
    const run = startCli(['test', 'base', 'slow2.sql'], p.env, p.dir);
    expect(await waitUntil(activeMigrations, (n) => n === 1, 60_000)).toBe(1);
    run.kill('SIGHUP');
    const r = await run;
    expect(r.exitCode).toBe(130);
    expect(await activeMigrations()).toBe(0);
    expect(Object.keys((await p.ctx.registry.read()).branches)).toEqual([]);
    expect(await branchDatabases()).toEqual([]);
  });
});
