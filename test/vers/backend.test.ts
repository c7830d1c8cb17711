/**
 * The vers backend on the fake vers: provisioning, faults (cancelled calls, failing vers, a VM
 * that dies, a tunnel that drops, exec timeouts, missing setup) and an end-to-end strategy test
 * through the core. After each test the fake's VM list proves nothing leaked.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VERS_SETTINGS, type VersBackend } from '../../src/backends/vers.js';
import { provisionVersBase, versStatus } from '../../src/backends/vers-provision.js';
import { createCheckpoint, testStrategies } from '../../src/core/index.js';
import {
  CancelledError,
  ConflictError,
  describeError,
  InvalidInputError,
  NotFoundError,
} from '../../src/errors.js';
import { ComparisonSchema } from '../../src/result.js';
import { withClient } from '../../src/util/pg.js';
import { VersNotInstalledError, VersTimeoutError } from '../../src/vers/index.js';
import { killVm, listCommits } from '../fixtures/fake-vers/control.mjs';
import { type FakeVersWorld, fakeVers, fakeVersWorld } from './fake-env.js';

let world: FakeVersWorld;
let backend: VersBackend;
let base: string;

/** VMs the registry accounts for; the fake must hold exactly these after every test. */
async function expectedVms(): Promise<string[]> {
  const d = await world.ctx.registry.read();
  return [
    d.settings[VERS_SETTINGS.baseVm]!,
    ...Object.entries(d.settings)
      .filter(([k]) => k.startsWith(VERS_SETTINGS.workingPrefix))
      .map(([, v]) => v),
    ...Object.values(d.branches).map((b) => b.id),
  ].sort();
}

beforeAll(async () => {
  world = await fakeVersWorld();
  const first = await provisionVersBase(world.ctx, {
    template: 'postgres@18',
    databases: ['app', 'other'],
    extensions: ['pgcrypto'],
    settings: { work_mem: '8MB' },
  });
  expect(first).toMatchObject({ created: true, installed: false });
  base = first.vm;
  backend = (await world.ctx.backend()) as VersBackend;
  const src = await backend.connectSource();
  await withClient(src.config, (c) =>
    c.query(`CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL);
             INSERT INTO accounts SELECT g, g * 10 FROM generate_series(1, 500) g`),
  );
  await src.close();
  await backend.checkpoint('seeded');
});

afterEach(async () => {
  expect(world.vmIds()).toEqual(await expectedVms());
});

afterAll(async () => {
  await world?.teardown();
});

describe('provisioning', () => {
  it('made the databases, extensions and settings, and is idempotent', async () => {
    const src = await backend.connectSource();
    const facts = await withClient(src.config, async (c) => ({
      db: (await c.query('SELECT current_database() AS d')).rows[0].d,
      dbs: (
        await c.query(`SELECT datname FROM pg_database WHERE datname IN ('app', 'other') ORDER BY 1`)
      ).rows.map((r) => r.datname),
      ext: (await c.query(`SELECT extname FROM pg_extension WHERE extname = 'pgcrypto'`)).rowCount,
      workMem: (await c.query('SHOW work_mem')).rows[0].work_mem,
    }));
    await src.close();
    expect(facts).toEqual({ db: 'app', dbs: ['app', 'other'], ext: 1, workMem: '8MB' });
    const again = await provisionVersBase(world.ctx, {
      template: 'postgres@18',
      databases: ['app', 'other'],
    });
    expect(again).toMatchObject({ vm: base, created: false, installed: false });
    expect(again.instructions.join('\n')).toContain(`vers tunnel ${base} 15432:5432`);
    expect(JSON.stringify(again)).not.toContain(
      (await world.ctx.registry.read()).settings[VERS_SETTINGS.password]!,
    );
    const status = await versStatus(world.ctx);
    expect(status).toMatchObject({
      baseVm: base,
      state: 'running',
      database: 'app',
      cli: 'vers version v0.10.0',
    });
  });

  it('rejects a template that is not postgres@N, before creating anything', async () => {
    await expect(provisionVersBase(world.ctx, { template: 'mysql@8' })).rejects.toBeInstanceOf(
      InvalidInputError,
    );
  });

  it('without a base VM, checkpoint says to run `vers-db up --backend vers`', async () => {
    const empty = await fakeVersWorld();
    try {
      const err = await (await empty.ctx.backend()).checkpoint('x').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidInputError);
      expect(describeError(err)).toContain('vers-db up --backend vers');
    } finally {
      await empty.teardown();
    }
  });
});

describe('faults leave no VM behind', () => {
  it('a cancelled branch call removes the VMs vers already made', async () => {
    const log = join(world.root, 'cancel.log');
    const slow = (await world
      .context({ FAKE_VERS_DELAY: 'branch:4000', FAKE_VERS_LOG: log })
      .backend()) as VersBackend;
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 1200);
    const err = await slow.branch('seeded', ['c1', 'c2'], { signal: ac.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledError);
    const d = await world.ctx.registry.read();
    expect(Object.keys(d.branches)).toEqual([]);
    expect(Object.values(d.vms).map((v) => v.role)).toEqual(['base']);
    // vers had already registered both VMs when the call was stopped: they were found and deleted.
    const calls = (await readFile(log, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).argv as string[]);
    expect(calls.filter((a) => a[0] === 'delete').length).toBe(2);
  });

  it('a failing vers (exit 3 on branch) is a clear not-found error and leaves nothing', async () => {
    const failing = (await world.context({ FAKE_VERS_FAIL: 'branch:3' }).backend()) as VersBackend;
    const err = await failing.branch('seeded', ['f1']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(describeError(err)).toContain('vers branch');
    expect(await world.ctx.registry.branch('f1')).toBeUndefined();
  });

  it('a checkpoint whose tag is taken in the Vers organisation fails cleanly', async () => {
    const commits = listCommits(world.home).length;
    const someCommit = listCommits(world.home)[0]!.commit_id;
    await fakeVers(world, ['tag', 'create', 'taken-elsewhere', someCommit]);
    const err = await backend.checkpoint('taken-elsewhere').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect(describeError(err)).toContain('vers tag delete taken-elsewhere');
    expect(await world.ctx.registry.checkpoint('taken-elsewhere')).toBeUndefined();
    expect(listCommits(world.home).length).toBe(commits);
    await fakeVers(world, ['tag', 'delete', 'taken-elsewhere']);
  });

  it('a VM that dies mid-test: exec and connect fail clearly, destroy still cleans up', async () => {
    const [made] = await backend.branch('seeded', ['doomed']);
    await killVm(world.home, made!.id);
    const execErr = await backend.exec('doomed', 'true').catch((e: unknown) => e);
    expect(describeError(execErr)).toContain(`vm '${made!.id}' is dead`);
    await expect(backend.connect('doomed')).rejects.toThrow();
    await backend.destroy('doomed');
  });

  it('a tunnel that drops mid-query fails the query and is logged', async () => {
    const flaky = (await world.context({ FAKE_VERS_FAIL: 'tunnel-drop:1500' }).backend()) as VersBackend;
    await backend.branch('seeded', ['flaky']);
    const conn = await flaky.connect('flaky');
    const err = await withClient(conn.config, (c) => c.query('SELECT pg_sleep(10)')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    await conn.close();
    expect(world.logs.join('\n')).toContain('tunnel: connection lost');
    await backend.destroy('flaky');
  });

  it('exec past its timeout is a timeout error naming the limit', async () => {
    await backend.branch('seeded', ['sleepy']);
    const err = await backend.exec('sleepy', 'sleep 20', { timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VersTimeoutError);
    expect((err as Error).message).toContain('within 1 s');
    await backend.destroy('sleepy');
  });

  it('vers missing: the backend cannot be created, and says how to install vers', async () => {
    const err = await world
      .context({ VERS_BIN: '/nonexistent/vers' })
      .backend()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VersNotInstalledError);
    expect(describeError(err)).toContain('VERS_BIN');
  });
});

describe('files and the core', () => {
  it('upload puts a file into the VM byte for byte', async () => {
    const content = `-- it's a migration\nSELECT '$HOME' AS "x";\n`;
    await backend.upload(base, 'vers-db/uploads/m.sql', content);
    const r = await backend.execSource('cat vers-db/uploads/m.sql');
    expect(`${r.stdout}\n`).toBe(content);
  });

  it('core testStrategies runs three strategies on parallel VM branches and gives a valid comparison', async () => {
    await createCheckpoint(world.ctx, { tag: 'core-base' });
    const comparison = await testStrategies(world.ctx, {
      baseline: 'core-base',
      parallel: 3,
      migrations: [
        { name: 'add-column', migration: 'ALTER TABLE accounts ADD COLUMN note text;', kind: 'sql' },
        {
          name: 'add-default',
          migration: 'ALTER TABLE accounts ADD COLUMN flag boolean NOT NULL DEFAULT false;',
          kind: 'sql',
        },
        { name: 'broken', migration: 'ALTER TABLE no_such_table ADD COLUMN x int;', kind: 'sql' },
      ],
      validation: 'psql -XtAc "SELECT count(*) FROM accounts" | grep -qx 500',
    });
    expect(ComparisonSchema.parse(comparison).backend).toBe('vers');
    const byName = Object.fromEntries(comparison.results.map((r) => [r.name, r]));
    expect(byName['add-column']?.status).toBe('passed');
    expect(byName['add-default']?.status).toBe('passed');
    expect(byName.broken?.status).toBe('failed');
    expect(byName['add-column']?.validation?.status).toBe('passed');
    expect(comparison.recommendation?.name).not.toBe('broken');
    expect(await world.ctx.registry.listBranches('vers')).toEqual([]);
  });
});
