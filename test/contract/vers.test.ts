/** The Backend contract on the vers backend, driven through the fake vers (real PostgreSQL VMs). */
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { VERS_SETTINGS, type VersBackend } from '../../src/backends/vers.js';
import { provisionVersBase } from '../../src/backends/vers-provision.js';
import { withClient } from '../../src/util/pg.js';
import { deadPid, fakeVers, fakeVersWorld } from '../vers/fake-env.js';
import { backendContract } from './backend.contract.js';

backendContract('vers (fake vers CLI)', async () => {
  const world = await fakeVersWorld();
  await provisionVersBase(world.ctx, { databases: ['app'] });
  const backend = (await world.ctx.backend()) as VersBackend;
  const registry = world.ctx.registry;
  return {
    backend,
    registry,
    async sourceSql(sql) {
      const conn = await backend.connectSource();
      try {
        return await withClient(conn.config, async (c) => {
          const r = await c.query(sql);
          return Array.isArray(r) ? (r.at(-1)?.rows ?? []) : r.rows;
        });
      } finally {
        await conn.close();
      }
    },
    connectTarget: (vm) => backend.connectVm(vm, 'app'),
    async simulateCrash(checkpoint, branch) {
      const commit = (await registry.checkpoint(checkpoint))!.id;
      const pid = await deadPid();
      const createdAt = new Date().toISOString();
      // The branch call went out, vers made the VM, and vers-db died before it heard the id.
      const lost = await fakeVers(world, ['branch', commit, '--count', '1', '--wait', '--format', 'json']);
      expect(lost.exitCode).toBe(0);
      // And a rollback VM whose id was recorded but never marked ready.
      const known = await fakeVers(world, ['run-commit', commit, '--wait', '--format', 'json']);
      const knownId = JSON.parse(known.stdout.slice(known.stdout.indexOf('{'))).vm_id as string;
      await registry.update((d) => {
        d.branches[branch] = {
          name: branch,
          backend: 'vers',
          checkpoint,
          id: '',
          database: 'app',
          createdAt,
          durationMs: 0,
          strategy: 'vers branch',
          state: 'creating',
          createdBy: 'crashed test',
          pid,
          keep: false,
        };
        const g = randomBytes(4).toString('hex');
        d.vms[`branch-${g}-0`] = {
          id: null,
          role: 'branch',
          label: branch,
          state: 'creating',
          createdAt,
          from: commit,
          group: g,
          pid,
        };
        d.vms[`working-${g}-1`] = {
          id: knownId,
          role: 'working',
          label: 'crashed rollback',
          state: 'creating',
          createdAt,
          from: commit,
          group: `${g}w`,
          pid,
        };
      });
    },
    async leftovers() {
      const d = await registry.read();
      const accounted = new Set(
        [
          d.settings[VERS_SETTINGS.baseVm],
          ...Object.entries(d.settings)
            .filter(([k]) => k.startsWith(VERS_SETTINGS.workingPrefix))
            .map(([, v]) => v),
          ...Object.values(d.branches)
            .filter((b) => b.state === 'ready')
            .map((b) => b.id),
        ].filter(Boolean),
      );
      return world.vmIds().filter((id) => !accounted.has(id));
    },
    teardown: () => world.teardown(),
  };
});
