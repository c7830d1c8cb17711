/**
 * Issue 10 (Why: `compare` fetched every row before applying `max_rows`, 2 GB RSS): the
 * comparison query stops after max_rows + 1 rows, so a 5 GB query answers at once.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { compareBranches, createCheckpoint, testMigration } from '../../src/core/index.js';
import { createProject, type TestProject } from '../helpers/project.js';

let p: TestProject;
let branch: string;
beforeAll(async () => {
  p = await createProject(
    'CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 100);',
  );
  await createCheckpoint(p.ctx, { tag: 'cmp' });
  const r = await testMigration(p.ctx, {
    baseline: 'cmp',
    migration: 'ALTER TABLE t ADD COLUMN note text',
    kind: 'sql',
    keepBranch: true,
    collectMetrics: false,
  });
  branch = r.branch;
});
afterAll(() => p?.cleanup());

it('compare with max_rows reads at most max_rows + 1 rows of a 5 GB query', async () => {
  const started = performance.now();
  const rss = process.memoryUsage().rss;
  const cmp = await compareBranches(p.ctx, {
    branches: [branch],
    query: "SELECT g, repeat('x', 1000) AS pad FROM generate_series(1, 5000000) g",
    maxRows: 5,
  });
  const q = cmp.query_results[branch]!;
  expect(q.rows).toHaveLength(5);
  expect(q.truncated).toBe(true);
  // Fetching every row would take minutes and gigabytes.
  expect(performance.now() - started).toBeLessThan(20_000);
  expect(process.memoryUsage().rss - rss).toBeLessThan(200 * 1024 * 1024);
});
