/**
 * The before-snapshot of a fresh branch takes its exact row counts from the checkpoint (recorded
 * with the checksums when it was sealed) instead of scanning every table again. The counts in
 * the result must stay exact: every table, views left out, matviews only
 * when populated, and the counts after the migration always measured.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exactRowCounts } from '../../src/collector/index.js';
import { loadCheckpointSnapshot } from '../../src/core/checkpoint-snapshot.js';
import { createCheckpoint, testStrategies } from '../../src/core/index.js';
import { configFromUrl, withClient } from '../../src/util/pg.js';
import { createProject, type TestProject } from '../helpers/project.js';

const SCHEMA = `
  CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL);
  INSERT INTO users SELECT g, 'u' || g || '@example.com' FROM generate_series(1, 3000) g;
  CREATE TABLE events (id int, at date NOT NULL);
  INSERT INTO events SELECT g, DATE '2025-06-01' + (g % 200) FROM generate_series(1, 1200) g;
  CREATE TABLE empty_one (id int);
  CREATE MATERIALIZED VIEW user_count AS SELECT count(*) AS n FROM users;
  CREATE MATERIALIZED VIEW not_yet AS SELECT id FROM users WITH NO DATA;
  CREATE VIEW some_users AS SELECT id FROM users WHERE id < 10;`;

describe('row counts before the migration, from the checkpoint', () => {
  let p: TestProject;
  let exact: Record<string, number>;

  beforeAll(async () => {
    p = await createProject(SCHEMA);
    exact = await withClient(configFromUrl(p.databaseUrl), exactRowCounts);
    const report = await createCheckpoint(p.ctx, { tag: 'counted' });
    // The report and the stored snapshot (compare, rollback checks) carry the sealed counts.
    expect(Object.fromEntries((report.tables ?? []).map((t) => [t.relation, t.rows]))).toEqual(exact);
    expect((await loadCheckpointSnapshot(p.ctx.stateDir, 'counted')).rowCounts).toEqual(exact);
  });

  afterAll(async () => {
    await p.cleanup();
  });

  it('the checkpoint records the exact counts of every counted table, beside its checksums', async () => {
    const entry = await p.ctx.registry.checkpoint('counted');
    expect(entry?.checksums).toBeTruthy();
    expect(entry?.rowCounts).toEqual(exact);
    expect(Object.keys(entry?.rowCounts ?? {}).sort()).toEqual(Object.keys(entry?.checksums ?? {}).sort());
    expect(entry?.rowCounts?.['public.events']).toBe(1200);
    expect(entry?.rowCounts).not.toHaveProperty('public.not_yet');
    expect(entry?.rowCounts).not.toHaveProperty('public.some_users');
  });

  it('a run reports the exact counts before, and measures the counts after', async () => {
    const migration = await p.file(
      'prune.sql',
      [
        'DELETE FROM users WHERE id > 2500;',
        "INSERT INTO events SELECT g, DATE '2026-02-01' FROM generate_series(1, 50) g;",
        'INSERT INTO empty_one VALUES (1), (2);',
        'REFRESH MATERIALIZED VIEW not_yet;',
        '',
      ].join('\n'),
    );
    const c = await testStrategies(p.ctx, { baseline: 'counted', migrations: [{ migration }] });
    const r = c.results[0]!;
    expect(r.status).toBe('passed');
    const before = Object.fromEntries(Object.entries(r.integrity.row_counts).map(([t, v]) => [t, v.before]));
    expect(before).toEqual(exact);
    expect(r.integrity.row_counts['public.users']).toEqual({ before: 3000, after: 2500 });
    expect(r.integrity.row_counts['public.events']).toEqual({ before: 1200, after: 1250 });
    expect(r.integrity.row_counts['public.empty_one']).toEqual({ before: 0, after: 2 });
    expect(r.integrity.row_counts['public.user_count']).toEqual({ before: 1, after: 1 });
  });

  it('a checkpoint whose data changed after it was sealed fails the run, so stale counts are never passed', async () => {
    const entry = (await p.ctx.registry.checkpoint('counted'))!;
    await withClient(configFromUrl(p.databaseUrl, 'postgres'), async (c) => {
      await c.query(`ALTER DATABASE "${entry.id}" WITH ALLOW_CONNECTIONS true`);
    });
    await withClient(configFromUrl(p.databaseUrl, entry.id), (c) =>
      c.query('DELETE FROM users WHERE id <= 10'),
    );
    await withClient(configFromUrl(p.databaseUrl, 'postgres'), (c) =>
      c.query(`ALTER DATABASE "${entry.id}" WITH ALLOW_CONNECTIONS false`),
    );
    const noop = await p.file('noop.sql', 'SELECT 1;\n');
    const c = await testStrategies(p.ctx, { baseline: 'counted', migrations: [{ migration: noop }] });
    expect(c.results[0]!.status).toBe('failed');
    expect(c.results[0]!.error).toMatch(/checkpoint changed/);
  });
});
