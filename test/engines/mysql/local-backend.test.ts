/**
 * The local MySQL backend end to end on real MariaDB servers: checkpoint (clean shutdown → copy →
 * restart), branches with their own mariadbd, connect/exec, rollback, destroy, deleteCheckpoint,
 * gc after a killed process, and the engine-mismatch error against a real PostgreSQL backend.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, BranchConnection } from '../../../src/backends/backend.js';
import { embeddedStatus } from '../../../src/backends/embedded.js';
import { createLocalBackend } from '../../../src/backends/local.js';
import { type Context, createContext } from '../../../src/core/context.js';
import { recoverAfterCrashes } from '../../../src/core/recover.js';
import { copyServer } from '../../../src/engines/mysql/branch.js';
import { settingsFromUrl, withMysql } from '../../../src/engines/mysql/client.js';
import { serverLayout } from '../../../src/engines/mysql/layout.js';
import { settingsOf } from '../../../src/engines/mysql/local-connection.js';
import { serverRoot, sourceRoot } from '../../../src/engines/mysql/local-layout.js';
import { pidAlive } from '../../../src/engines/mysql/process.js';
import { startServer, stopServer } from '../../../src/engines/mysql/server.js';
import { readServerState } from '../../../src/engines/mysql/state.js';
import { ConflictError, InvalidInputError } from '../../../src/errors.js';
import { urlOf } from '../../../src/util/pg.js';
import { createTestDatabase, dropTestDatabase, uniqueName } from '../../helpers/db.js';
import { mariadbAvailable, noteSkipped, useMysqlProject } from '../../helpers/mariadb.js';
import { deadPid } from '../../vers/fake-env.js';

noteSkipped('the local MySQL backend tests');

async function rows(conn: BranchConnection, sql: string): Promise<Record<string, unknown>[]> {
  expect(conn.engine).toBe('mysql');
  return withMysql(settingsOf(conn), async (c) => (await c.query(sql))[0] as Record<string, unknown>[]);
}
const count = async (conn: BranchConnection) =>
  Number((await rows(conn, 'SELECT COUNT(*) AS n FROM items'))[0]!.n);

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

async function serverPid(root: string): Promise<number | null> {
  return (await readServerState(serverLayout(root).stateFile))?.pid ?? null;
}

describe.skipIf(!mariadbAvailable)('local MySQL backend', () => {
  const project = useMysqlProject('backend');
  let dir: string;
  let state: string;
  let ctx: Context;
  let b: Backend;

  beforeAll(async () => {
    ({ dir, state } = project());
    ctx = createContext({ env: project().env, cwd: dir, backend: 'local', engine: 'mysql', log: () => {} });
    expect(ctx.engine).toBe('mysql');
    b = await ctx.backend();
    const src = await b.connectSource();
    await rows(src, 'CREATE TABLE items (id INT PRIMARY KEY, label VARCHAR(40) NOT NULL)');
    await rows(
      src,
      `INSERT INTO items WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 100)
       SELECT n, CONCAT('item ', n) FROM g`,
    );
  });

  afterAll(async () => {
    await b?.gc().catch(() => undefined);
    await ctx?.close();
  });

  it('checkpoint: the source is copied and serves again; the record names the engine', async () => {
    expect(b.engine).toBe('mysql');
    expect(b.capabilities).toMatchObject({ batchBranching: false, defaultParallel: 1, isolation: 'roles' });
    const info = await b.checkpoint('base');
    expect(info).toMatchObject({ tag: 'base', backend: 'local', database: 'app', id: 'mysql/ckpt/base' });
    expect(info.durationMs).toBeGreaterThan(0);
    const entry = await ctx.registry.checkpoint('base');
    expect(entry).toMatchObject({ state: 'ready', engine: 'mysql' });
    expect(entry?.copy?.files).toBeGreaterThan(0);
    expect(entry?.copy?.bytes).toBeGreaterThan(0);
    expect(await exists(join(serverLayout(serverRoot(state, 'ckpt', 'base')).dataDir, 'ibdata1'))).toBe(true);
    // The checkpoint's copy is not served; the source is back, and changes after it are not in it.
    expect(await serverPid(serverRoot(state, 'ckpt', 'base'))).toBeNull();
    await rows(await b.connectSource(), 'INSERT INTO items VALUES (101, "after the checkpoint")');
    expect(await count(await b.connectSource())).toBe(101);
    await expect(b.checkpoint('base')).rejects.toBeInstanceOf(ConflictError);
  });

  it('branches get servers of their own: a write in one touches neither the other nor the checkpoint', async () => {
    const made = await b.branch('base', ['one', 'two'], { createdBy: 'test' });
    expect(made.map((x) => x.id)).toEqual(['mysql/branch/one', 'mysql/branch/two']);
    expect((await ctx.registry.branch('one'))?.engine).toBe('mysql');
    const one = await b.connect('one');
    const two = await b.connect('two');
    expect(one.config.port).not.toBe(two.config.port);
    // The owner is the branch's own sandbox user, with rights on its database only.
    expect(one.displayUrl).toMatch(/^mysql:\/\/versdb_owner@127\.0\.0\.1:\d+\/app$/);
    expect(one.displayUrl).not.toContain(String(one.config.password));
    expect(await count(one)).toBe(100);
    await rows(one, 'DELETE FROM items WHERE id <= 30');
    expect(await count(one)).toBe(70);
    expect(await count(two)).toBe(100);
    expect(await count(await b.connectSource())).toBe(101);
    await expect(rows(one, 'SELECT COUNT(*) FROM mysql.user')).rejects.toThrow(/denied/i);
    const reader = await b.connect('two', { as: 'reader' });
    expect(await count(reader)).toBe(100);
    await expect(rows(reader, 'DELETE FROM items')).rejects.toThrow(/denied/i);
    const superuser = await b.connect('two', { as: 'superuser' });
    expect(superuser.config.user).toBe('versdb');
  });

  it('exec runs a shell command with the branch in DATABASE_URL and MYSQL_* variables', async () => {
    const r = await b.exec(
      'one',
      'mysql -u "$MYSQL_USER" -N -e "SELECT COUNT(*) FROM items" "$MYSQL_DATABASE"; echo "$DATABASE_URL" | cut -d@ -f2',
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const port = (await b.connect('one')).config.port;
    expect(r.stdout.trim().split('\n')).toEqual(['70', `127.0.0.1:${port}/app`]);
    const src = await b.execSource(
      'mysql -u "$MYSQL_USER" -N -e "SELECT COUNT(*) FROM items" "$MYSQL_DATABASE"',
    );
    expect(src.stdout.trim()).toBe('101');
  });

  it('a branch whose server was stopped (`down`, a reboot) starts again when it is used', async () => {
    const root = serverRoot(state, 'branch', 'one');
    const pid = await serverPid(root);
    expect(await stopServer(root)).toBe('clean');
    expect(await pidAlive(pid!)).toBe(false);
    expect(await count(await b.connect('one'))).toBe(70);
    expect(await serverPid(root)).not.toBe(pid);
  });

  it('rollback makes a fresh working copy server of the checkpoint, replacing the previous one', async () => {
    const first = await b.rollback('base');
    expect(first.removed).toBeNull();
    const url = settingsFromUrl(first.target);
    const conn = { engine: 'mysql' as const, config: url, displayUrl: '', close: async () => {} };
    expect(await count(conn)).toBe(100);
    await rows(conn, 'DELETE FROM items');
    const second = await b.rollback('base');
    expect(second.removed).toBe('mysql/work/base');
    expect(await count({ ...conn, config: settingsFromUrl(second.target) })).toBe(100);
  });

  it('destroy stops the branch server and removes its files', async () => {
    const root = serverRoot(state, 'branch', 'one');
    const pid = await serverPid(root);
    expect(pid).not.toBeNull();
    await b.destroy('one');
    expect(await pidAlive(pid!)).toBe(false);
    expect(await exists(root)).toBe(false);
    expect(await ctx.registry.branch('one')).toBeUndefined();
  });

  it('the other engine’s checkpoint is a clear error naming both engines', async () => {
    const pgName = uniqueName('mysql_mismatch');
    const config = await createTestDatabase(pgName, 'CREATE TABLE t (id int)');
    const pgCtx = createContext({
      env: { ...ctx.env, DATABASE_URL: urlOf(config) },
      cwd: dir,
      backend: 'local',
      log: () => {},
    });
    expect(pgCtx.engine).toBe('postgres');
    const pg = await createLocalBackend(pgCtx);
    try {
      const err = await pg.branch('base', ['pgb']).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidInputError);
      expect((err as Error).message).toMatch(/MySQL\/MariaDB checkpoint.*PostgreSQL/);
      await pg.checkpoint('pgbase');
      const back = await b.branch('pgbase', ['myb']).catch((e: unknown) => e);
      expect(back).toBeInstanceOf(InvalidInputError);
      expect((back as Error).message).toMatch(/PostgreSQL checkpoint.*MySQL\/MariaDB/);
      // gc on either engine leaves the other's records alone.
      await pg.gc();
      await b.gc();
      expect(await ctx.registry.checkpoint('base')).toBeDefined();
      expect(await ctx.registry.checkpoint('pgbase')).toBeDefined();
      await pg.deleteCheckpoint('pgbase');
    } finally {
      await pg.close();
      await dropTestDatabase(pgName);
    }
  });

  it('source databases beside the source are made, rebuilt and dropped through the backend', async () => {
    const db = b.sourceDatabase('suite_src');
    expect(await db.exists()).toBe(false);
    await db.ensure({ comment: 'made by a test' });
    await db.ensure(); // made already: fine
    expect(await db.exists()).toBe(true);
    const src = await b.connectSource();
    await rows(src, 'CREATE TABLE suite_src.x (id INT)');
    // A session inside it does not keep reset from rebuilding it empty.
    await withMysql({ ...settingsOf(src), database: 'suite_src' }, async (c) => {
      await c.query('SELECT 1');
      await db.reset();
    }).catch(() => undefined);
    const left = await rows(
      src,
      `SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'suite_src'`,
    );
    expect(Number(left[0]!.n)).toBe(0);
    await db.drop();
    await db.drop(); // gone already: fine
    expect(await db.exists()).toBe(false);
  });

  it('an explicit engine that contradicts DATABASE_URL is refused', () => {
    expect(() =>
      createContext({ env: { DATABASE_URL: 'postgres://u@h/db' }, engine: 'mysql', log: () => {} }),
    ).toThrow(InvalidInputError);
    expect(createContext({ env: { DATABASE_URL: 'mariadb://u@h/db' }, log: () => {} }).engine).toBe('mysql');
    expect(createContext({ env: { VERS_DB_ENGINE: 'mysql' }, log: () => {} }).engine).toBe('mysql');
    expect(createContext({ env: {}, log: () => {} }).engine).toBe('postgres');
  });

  it('gc removes servers left by killed processes, recorded or not', async () => {
    const ckpt = serverRoot(state, 'ckpt', 'base');
    // Recorded, its process gone mid-branch: a running server and a 'creating' entry.
    const crashed = serverRoot(state, 'branch', 'crashed');
    await copyServer(ckpt, crashed);
    const s1 = await startServer(crashed);
    await ctx.registry.update(async (d) => {
      d.branches.crashed = {
        name: 'crashed',
        backend: 'local',
        engine: 'mysql',
        checkpoint: 'base',
        id: '',
        database: 'app',
        createdAt: new Date().toISOString(),
        durationMs: 0,
        strategy: 'datadir-copy',
        state: 'creating',
        createdBy: 'killed test',
        pid: await deadPid(),
        keep: false,
      };
    });
    // Not recorded at all (the registry lost it): still found on disk.
    const ghost = serverRoot(state, 'branch', 'ghost');
    await copyServer(ckpt, ghost);
    const s2 = await startServer(ghost);
    const report = await b.gc();
    expect(report.errors).toEqual([]);
    expect(report.removed).toEqual(
      expect.arrayContaining(['branch crashed', 'MySQL server mysql/branch/ghost']),
    );
    for (const s of [s1, s2]) expect(await pidAlive(s.pid)).toBe(false);
    expect(await exists(crashed)).toBe(false);
    expect(await exists(ghost)).toBe(false);
    expect(await ctx.registry.branch('crashed')).toBeUndefined();
    // A kept branch of a live process stays.
    expect(await ctx.registry.branch('two')).toBeDefined();
  });

  it('crash recovery at the start of a PostgreSQL command removes a killed MySQL run, starting no PostgreSQL', async () => {
    const root = serverRoot(state, 'branch', 'killed');
    await copyServer(serverRoot(state, 'ckpt', 'base'), root);
    const server = await startServer(root);
    await ctx.registry.update(async (d) => {
      d.branches.killed = {
        name: 'killed',
        backend: 'local',
        engine: 'mysql',
        checkpoint: 'base',
        id: 'killed',
        database: 'app',
        createdAt: new Date().toISOString(),
        durationMs: 0,
        strategy: 'datadir-copy',
        state: 'ready',
        createdBy: 'killed test',
        pid: await deadPid(),
        keep: false,
      };
    });
    const env: NodeJS.ProcessEnv = { ...process.env, VERS_DB_HOME: state };
    delete env.DATABASE_URL;
    delete env.VERS_DB_ENGINE;
    const pg = createContext({ env, cwd: dir, backend: 'local', log: () => {} });
    expect(pg.engine).toBe('postgres');
    try {
      expect(await recoverAfterCrashes(pg)).toContain('removed branch killed (killed)');
    } finally {
      await pg.close();
    }
    expect(await pidAlive(server.pid)).toBe(false);
    expect(await exists(root)).toBe(false);
    expect(await ctx.registry.branch('killed')).toBeUndefined();
    expect((await embeddedStatus(state)).running).toBe(false);
  });

  it('deleteCheckpoint refuses while branches exist, and with force removes all servers', async () => {
    await expect(b.deleteCheckpoint('base')).rejects.toBeInstanceOf(ConflictError);
    const two = serverRoot(state, 'branch', 'two');
    const pid = await serverPid(two);
    const workPid = await serverPid(serverRoot(state, 'work', 'base'));
    await b.deleteCheckpoint('base', { force: true });
    for (const p of [pid, workPid]) expect(await pidAlive(p!)).toBe(false);
    for (const kind of ['ckpt', 'work'] as const)
      expect(await exists(serverRoot(state, kind, 'base'))).toBe(false);
    expect(await exists(two)).toBe(false);
    expect(await ctx.registry.listCheckpoints()).toEqual([]);
    // The source keeps serving.
    expect(await count(await b.connectSource())).toBe(101);
    await stopServer(sourceRoot(state));
  });
});
