/**
 * The vers backend on the MySQL engine, driven through the fake vers (its VMs run a real
 * mariadbd): `up` for MySQL, then checkpoint → branch → connect (a write in a branch leaves the
 * others and the source alone) → exec → reader → rollback → destroy → gc, with real data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BranchConnection } from '../../src/backends/backend.js';
import { VERS_SETTINGS, type VersBackend } from '../../src/backends/vers.js';
import { mysqlSettingsOf } from '../../src/backends/vers-mysql.js';
import { provisionVersBase } from '../../src/backends/vers-provision.js';
import type { Context } from '../../src/core/context.js';
import { createCheckpoint, testStrategies } from '../../src/core/index.js';
import { withMysql } from '../../src/engines/mysql/client.js';
import { ComparisonSchema } from '../../src/result.js';
import { listCommits } from '../fixtures/fake-vers/control.mjs';
import { cli } from '../helpers/cli.js';
import { mariadbAvailable, noteSkipped } from '../helpers/mariadb.js';
import { deadPid, type FakeVersWorld, fakeVers, fakeVersWorld } from '../vers/fake-env.js';

noteSkipped('the vers backend on MySQL');

async function sql(conn: BranchConnection, text: string, params: unknown[] = []): Promise<unknown[]> {
  try {
    return await withMysql(
      { ...mysqlSettingsOf(conn), database: String(conn.config.database) },
      async (c) => {
        const [rows] = await c.query(text, params);
        return Array.isArray(rows) ? rows : [];
      },
    );
  } finally {
    await conn.close();
  }
}
function cliEnv(extra: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(
    Object.entries({ ...world.env, VERS_DB_BACKEND: 'vers', VERS_DB_ENGINE: 'mysql', ...extra }).filter(
      (e): e is [string, string] => e[1] !== undefined,
    ),
  );
}

const count = async (conn: BranchConnection) =>
  Number(((await sql(conn, 'SELECT COUNT(*) AS n FROM items')) as { n: string }[])[0]!.n);

let world: FakeVersWorld;
/** A context on the MySQL engine (world.ctx is PostgreSQL's). */
let ctx: Context;

describe.skipIf(!mariadbAvailable)('vers backend, MySQL engine (fake vers with mariadbd VMs)', () => {
  let b: VersBackend;

  /** VMs the registry accounts for; the fake must hold exactly these. */
  async function accounted(): Promise<string[]> {
    const d = await ctx.registry.read();
    return [
      d.settings[VERS_SETTINGS.baseVm]!,
      ...Object.entries(d.settings)
        .filter(([k]) => k.startsWith(VERS_SETTINGS.workingPrefix))
        .map(([, v]) => v),
      ...Object.values(d.branches).map((x) => x.id),
    ].sort();
  }

  beforeAll(async () => {
    world = await fakeVersWorld();
    ctx = world.context({ VERS_DB_ENGINE: 'mysql' });
  }, 120_000);
  afterAll(async () => {
    await world?.teardown();
  });

  it('up --backend vers --engine mysql installs MariaDB in the VM with performance_schema and the MDL instrument', async () => {
    const r = await cli(
      ['up', '--backend', 'vers', '--engine', 'mysql'],
      cliEnv({ VERS_DB_ENGINE: '' }),
      world.root,
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const vm = /^VERS_VM=(\S+)$/m.exec(r.stdout)?.[1];
    expect(world.vmIds()).toEqual([vm]);
    expect(r.stderr).toContain(`making sure MariaDB runs in VM ${vm}`);
    expect(r.stderr).toMatch(/MariaDB 10\.\d+\.\d+-MariaDB/);
    expect(r.stderr).toContain('DATABASE_URL=mysql://versdb:***@127.0.0.1:13306/app');
    expect(r.stderr).toContain(`vers tunnel ${vm} 13306:3306`);
    const settings = (await ctx.registry.read()).settings;
    expect(settings[VERS_SETTINGS.engine]).toBe('mysql');
    expect(settings[VERS_SETTINGS.database]).toBe('app');
    expect(r.stdout + r.stderr).not.toContain(settings[VERS_SETTINGS.mysqlPassword]!);
    b = (await ctx.backend()) as VersBackend;
    expect(b.engine).toBe('mysql');
    const conn = await b.connectSource();
    expect((conn as { engine?: string }).engine).toBe('mysql');
    expect(conn.displayUrl).toMatch(/^mysql:\/\/versdb:\*\*\*@127\.0\.0\.1:\d+\/app \(vers tunnel to VM /);
    const [row] = (await sql(
      conn,
      `SELECT @@performance_schema AS ps, (SELECT ENABLED FROM performance_schema.setup_instruments
         WHERE NAME = 'wait/lock/metadata/sql/mdl') AS mdl,
         (SELECT COUNT(*) FROM information_schema.PLUGINS WHERE PLUGIN_NAME = 'METADATA_LOCK_INFO') AS mli`,
    )) as { ps: string; mdl: string; mli: string }[];
    expect(row).toMatchObject({ ps: '1', mdl: 'YES', mli: '1' });
    await sql(
      await b.connectSource(),
      'CREATE TABLE items (id INT PRIMARY KEY, label VARCHAR(40) NOT NULL) ENGINE=InnoDB',
    );
    await sql(
      await b.connectSource(),
      `INSERT INTO items SELECT seq, CONCAT('item ', seq) FROM seq_1_to_100`,
    );
    expect(await count(await b.connectSource())).toBe(100);
  }, 300_000);

  it('up again reuses the VM, keeps the data, and refuses to turn it into a PostgreSQL VM', async () => {
    const vm = (await ctx.registry.read()).settings[VERS_SETTINGS.baseVm];
    const again = await provisionVersBase(ctx);
    expect(again).toMatchObject({ vm, created: false, installed: false });
    expect(again.serverVersion).toMatch(/MariaDB/);
    expect(again.databaseUrlHint).toMatch(/^mysql:\/\/versdb:\*\*\*@127\.0\.0\.1:13306\/app /);
    expect(await count(await b.connectSource())).toBe(100);
    await expect(provisionVersBase(world.ctx)).rejects.toThrow(/serves MariaDB, not PostgreSQL/);
    // A PostgreSQL context is told which engine the VM serves, before anything is done.
    const pg = (await world.ctx.backend()) as VersBackend;
    const err = await pg.checkpoint('wrong-engine').catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/serves MariaDB, but this command runs on PostgreSQL/);
    expect((err as { hint?: string }).hint).toContain('--engine mysql');
    expect(await ctx.registry.checkpoint('wrong-engine')).toBeUndefined();
  }, 300_000);

  it('source databases beside the source are made and dropped in the VM', async () => {
    const db = b.sourceDatabase('scratch_db');
    expect(await db.exists()).toBe(false);
    await db.ensure();
    expect(await db.exists()).toBe(true);
    await db.reset();
    await db.drop();
    expect(await db.exists()).toBe(false);
  }, 120_000);

  it('checkpoint is a vers commit recorded with the engine', async () => {
    const info = await b.checkpoint('base');
    expect(info.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(listCommits(world.home).map((c) => c.commit_id)).toContain(info.id);
    expect(await ctx.registry.checkpoint('base')).toMatchObject({ state: 'ready', engine: 'mysql' });
    const missing = await b.checkpoint('ghost', { database: 'no_such_db' }).catch((e: unknown) => e);
    expect((missing as Error).message).toMatch(/^database "no_such_db" does not exist at VM /);
  }, 120_000);

  it('branches are MariaDB servers of their own: a write in one leaves the others and the source alone', async () => {
    const made = await b.branch('base', ['one', 'two']);
    expect(new Set(made.map((m) => m.id)).size).toBe(2);
    const one = await b.connect('one');
    expect((one as { engine?: string }).engine).toBe('mysql');
    await sql(one, 'DELETE FROM items WHERE id <= 60');
    await sql(await b.connect('one'), 'ALTER TABLE items ADD COLUMN extra INT');
    await sql(await b.connectSource(), `INSERT INTO items SELECT seq, 'late' FROM seq_101_to_110`);
    expect(await count(await b.connect('one'))).toBe(40);
    expect(await count(await b.connect('two'))).toBe(100);
    expect(await count(await b.connectSource())).toBe(110);
    const cols = (await sql(
      await b.connect('two'),
      `SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS
       WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'items' ORDER BY ORDINAL_POSITION`,
    )) as { c: string }[];
    expect(cols.map((x) => x.c)).toEqual(['id', 'label']);
    // The branch's server kept the start-up options the base VM was provisioned with.
    const [ps] = (await sql(await b.connect('two'), 'SELECT @@performance_schema AS v')) as { v: number }[];
    expect(String(ps!.v)).toBe('1');
  }, 300_000);

  it('exec runs with the MySQL environment of the branch', async () => {
    const r = await b.exec(
      'one',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: bash parameter expansion
      'mariadb -u "$MYSQL_USER" -N -B -e "SELECT COUNT(*) FROM items" "$MYSQL_DATABASE"; echo "${DATABASE_URL%%:*} $MYSQL_DATABASE"; test -n "$MYSQL_PWD"',
    );
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n')).toEqual(['40', 'mysql app']);
    const env = await b.exec('two', 'printf %s "$TRICKY"', { env: { TRICKY: `it's "q" $HOME` } });
    expect(env.stdout).toBe(`it's "q" $HOME`);
    const failed = await b.exec('two', 'echo oops >&2; exit 3');
    expect(failed).toMatchObject({ exitCode: 3 });
  }, 120_000);

  it('a reader connection reads the branch and cannot change it', async () => {
    const reader = await b.connect('two', { as: 'reader' });
    expect(reader.config.user).toBe('vers_db_reader');
    expect(await count(reader)).toBe(100);
    for (const write of [
      'DELETE FROM items',
      `INSERT INTO items VALUES (1000, 'x')`,
      'CREATE TABLE sneaky (id INT)',
      'ALTER TABLE items ADD COLUMN sneaky INT',
      'SELECT COUNT(*) FROM mysql.user',
    ]) {
      await expect(sql(await b.connect('two', { as: 'reader' }), write)).rejects.toThrow();
    }
    expect(await count(await b.connect('two'))).toBe(100);
  }, 120_000);

  it('rollback makes a fresh VM from the commit and replaces the previous one', async () => {
    const first = await b.rollback('base');
    expect(await count(await b.connectVm(first.target, 'app'))).toBe(100);
    await sql(await b.connectVm(first.target, 'app'), 'DELETE FROM items');
    const second = await b.rollback('base');
    expect(second.removed).toBe(first.target);
    expect(await count(await b.connectVm(second.target, 'app'))).toBe(100);
    expect(await count(await b.connectSource())).toBe(110);
    expect(world.vmIds()).toEqual(await accounted());
    // The CLI says how to reach the MariaDB of the new VM.
    const r = await cli(['rollback', 'base'], cliEnv(), world.root);
    expect(r.exitCode, r.stderr).toBe(0);
    const vm = /^VERS_VM=(\S+)$/m.exec(r.stdout)?.[1];
    expect(world.vmIds()).toContain(vm);
    expect(r.stderr).toContain(`vers tunnel ${vm} 13306:3306`);
    expect(r.stderr).toMatch(/DATABASE_URL=mysql:\/\/versdb:\S+@127\.0\.0\.1:13306\/app/);
    expect(await count(await b.connectVm(vm!, 'app'))).toBe(100);
    expect(world.vmIds()).toEqual(await accounted());
  }, 300_000);

  it('destroy removes a branch VM and is idempotent; gc removes what a crash left', async () => {
    await b.destroy('one');
    await b.destroy('one');
    expect(await ctx.registry.branch('one')).toBeUndefined();
    expect(world.vmIds()).toEqual(await accounted());
    // A branch call that went out while vers-db died: the VM exists, the registry says 'creating'.
    const commit = (await ctx.registry.checkpoint('base'))!.id;
    const pid = await deadPid();
    const createdAt = new Date().toISOString();
    await ctx.registry.update((d) => {
      d.vms['branch-dead0001-0'] = {
        id: null,
        role: 'branch',
        label: 'crashed',
        state: 'creating',
        createdAt,
        from: commit,
        group: 'dead0001',
        pid,
      };
    });
    const lost = await fakeVers(world, ['branch', commit, '--count', '1', '--wait', '--format', 'json']);
    expect(lost.exitCode).toBe(0);
    expect(world.vmIds()).not.toEqual(await accounted());
    const report = await b.gc();
    expect(report.errors).toEqual([]);
    expect(report.removed.join('\n')).toContain('crashed');
    expect(world.vmIds()).toEqual(await accounted());
    expect(await count(await b.connect('two'))).toBe(100);
  }, 300_000);

  it('the core checkpoints and tests MySQL strategies on parallel VM branches, with a valid comparison', async () => {
    await createCheckpoint(ctx, { tag: 'core-base' });
    const comparison = await testStrategies(ctx, {
      baseline: 'core-base',
      parallel: 3,
      migrations: [
        {
          name: 'instant',
          migration: 'ALTER TABLE items ADD COLUMN note INT, ALGORITHM=INSTANT;',
          kind: 'sql',
        },
        {
          name: 'copy',
          migration: 'ALTER TABLE items MODIFY label VARCHAR(80) NOT NULL, ALGORITHM=COPY;',
          kind: 'sql',
        },
        { name: 'broken', migration: 'ALTER TABLE no_such_table ADD COLUMN x INT;', kind: 'sql' },
      ],
      validation:
        'test "$(mariadb -u "$MYSQL_USER" -N -B -e "SELECT COUNT(*) FROM items" "$MYSQL_DATABASE")" = 110',
    });
    const parsed = ComparisonSchema.parse(comparison);
    expect(parsed.backend).toBe('vers');
    expect(parsed.engine).toBe('mysql');
    const byName = Object.fromEntries(comparison.results.map((r) => [r.name, r]));
    expect(byName.instant?.status).toBe('passed');
    expect(byName.copy?.status).toBe('passed');
    expect(byName.broken?.status).toBe('failed');
    expect(byName.instant?.validation?.status).toBe('passed');
    expect(byName.copy?.locks.map((l) => l.relation)).toContain('app.items');
    expect(comparison.recommendation?.name).not.toBe('broken');
    expect((await ctx.registry.listBranches('vers')).map((x) => x.name)).toEqual(['two']);
    expect(world.vmIds()).toEqual(await accounted());
  }, 600_000);

  it('deleteCheckpoint with force removes its branches, rollback VM and commit', async () => {
    await b.deleteCheckpoint('core-base', { force: true });
    await b.deleteCheckpoint('base', { force: true });
    expect(await ctx.registry.checkpoint('base')).toBeUndefined();
    expect(world.vmIds()).toEqual(await accounted());
    expect(await accounted()).toHaveLength(1);
  }, 300_000);
});
