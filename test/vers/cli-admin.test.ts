/**
 * `vers-db rollback` and `vers-db down` on the vers backend, through the real CLI and the fake vers:
 * rollback prints the new VM and how to reach it; down deletes the base VM only with --yes.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { VERS_SETTINGS } from '../../src/backends/vers.js';
import { provisionVersBase } from '../../src/backends/vers-provision.js';
import { createCheckpoint } from '../../src/core/index.js';
import { cli } from '../helpers/cli.js';
import { type FakeVersWorld, fakeVersWorld } from './fake-env.js';

let world: FakeVersWorld;
let base: string;
let env: Record<string, string>;

beforeAll(async () => {
  world = await fakeVersWorld();
  base = (await provisionVersBase(world.ctx, { template: 'postgres@18', databases: ['app'] })).vm;
  await createCheckpoint(world.ctx, { tag: 'seeded' });
  env = Object.fromEntries(
    Object.entries({ ...world.env, VERS_DB_BACKEND: 'vers' }).filter(
      (e): e is [string, string] => e[1] !== undefined,
    ),
  );
});

afterAll(async () => {
  await world?.teardown();
});

it('rollback prints the new VM and how to reach its PostgreSQL, not a DATABASE_URL', async () => {
  const r = await cli(['rollback', 'seeded'], env, world.root);
  expect(r.exitCode, r.stderr).toBe(0);
  const vm = /^VERS_VM=(\S+)$/m.exec(r.stdout)?.[1];
  expect(vm).toBeTruthy();
  expect(world.vmIds()).toContain(vm);
  expect(r.stdout).not.toContain('DATABASE_URL');
  expect(r.stderr).toContain(`vers tunnel ${vm} 15432:5432`);
  expect(r.stderr).toContain('127.0.0.1:15432/app');
});

it('down says what it would delete and deletes nothing without --yes', async () => {
  const r = await cli(['down'], env, world.root);
  expect(r.exitCode, r.stderr).toBe(0);
  expect(r.stdout).toContain(`would delete the Vers base VM ${base}`);
  expect(r.stderr).toContain('--yes');
  expect(world.vmIds()).toContain(base);
});

it('down --yes deletes the base VM and forgets it; checkpoints stay', async () => {
  const r = await cli(['down', '--yes'], env, world.root);
  expect(r.exitCode, r.stderr).toBe(0);
  expect(r.stdout).toContain(`deleted the Vers base VM ${base}`);
  expect(world.vmIds()).not.toContain(base);
  const data = await world.ctx.registry.read();
  expect(data.settings[VERS_SETTINGS.baseVm]).toBeUndefined();
  expect(data.checkpoints.seeded?.state).toBe('ready');
  const again = await cli(['down'], env, world.root);
  expect(again.stderr).toContain('nothing to delete');
});
