/**
 * allSettled for strategies that all failed (found by the soak's server-restart and full-disk
 * faults): of several strategies, each keeps its own failed result even if none could be measured;
 * one strategy's error stays an error.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCheckpoint, testStrategies } from '../../src/core/index.js';
import { createProject, type TestProject } from '../helpers/project.js';

// Kills its own branch's measuring sessions, so its "after" snapshot cannot be taken.
const KILLER = `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
  WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name LIKE 'vers-db:%'`;

let p: TestProject;
beforeAll(async () => {
  p = await createProject(
    'CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 50);',
  );
  await createCheckpoint(p.ctx, { tag: 'base', includeStats: false });
});
afterAll(() => p?.cleanup());

it('two strategies that both cannot be measured: two failed results, no bare error', async () => {
  const c = await testStrategies(p.ctx, {
    baseline: 'base',
    migrations: [
      { name: 'k1', migration: KILLER, kind: 'sql' },
      { name: 'k2', migration: KILLER, kind: 'sql' },
    ],
  });
  expect(c.results.map((r) => [r.name, r.status])).toEqual([
    ['k1', 'failed'],
    ['k2', 'failed'],
  ]);
  for (const r of c.results) expect(r.error).toMatch(/could not be measured/);
  expect(await p.ctx.registry.listBranches()).toEqual([]);
});

it('one strategy that cannot be measured is still an error', async () => {
  await expect(
    testStrategies(p.ctx, { baseline: 'base', migrations: [{ name: 'k', migration: KILLER, kind: 'sql' }] }),
  ).rejects.toThrow();
  expect(await p.ctx.registry.listBranches()).toEqual([]);
});
