/**
 * Which relations the probes cover when connections are short, and what is never probed: the
 * relations the migration names first, then the views that depend on them, then the largest rest;
 * foreign tables and whatever does not fit are reported as unmeasured, with the reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureMigration } from '../../src/collector/index.js';
import { planProbes } from '../../src/collector/probe-targets.js';
import { loadParser, splitStatements } from '../../src/collector/split.js';
import { withClient } from '../../src/util/pg.js';
import { testDatabase } from './fixtures.js';

const SCHEMA = `
  CREATE TABLE big (id int PRIMARY KEY, v text);
  INSERT INTO big SELECT g, repeat('x', 200) FROM generate_series(1, 20000) g;
  CREATE TABLE orders (id int PRIMARY KEY, total int);
  INSERT INTO orders SELECT g, g FROM generate_series(1, 100) g;
  CREATE VIEW order_totals AS SELECT id, total FROM orders;
  CREATE TABLE tiny (id int);
  CREATE FOREIGN DATA WRAPPER no_handler;
  CREATE SERVER elsewhere FOREIGN DATA WRAPPER no_handler;
  CREATE FOREIGN TABLE remote (id int) SERVER elsewhere;
  ANALYZE;`;

describe('probe plan', () => {
  let db: Awaited<ReturnType<typeof testDatabase>>;
  beforeAll(async () => {
    db = await testDatabase('coll_plan', SCHEMA);
    await loadParser();
  });
  afterAll(async () => db?.drop());

  it('puts the named table and its views first; the rest beyond the budget is unmeasured', async () => {
    const statements = splitStatements('ALTER TABLE orders ADD COLUMN note text;\n');
    const plan = await withClient(db.config, (c) => planProbes(c, statements, [], 3));
    // orders (read + write) and its view (read) fill a budget of 3 connections.
    expect(plan.targets.map((t) => t.relation)).toEqual(['public.orders', 'public.order_totals']);
    expect(plan.targets[0]).toMatchObject({
      kind: 'table',
      writes: true,
      key: { column: 'id', via: 'primary_key' },
    });
    expect(plan.targets[0]!.keys.length).toBeGreaterThan(50);
    expect(plan.targets[1]).toMatchObject({ kind: 'view', writes: false, key: null });
    const why = Object.fromEntries(plan.unmeasured.map((u) => [u.relation, u.reason]));
    expect(why['public.big']).toMatch(/no connection left/);
    expect(why['public.tiny']).toMatch(/no connection left/);
    expect(why['public.remote']).toMatch(/^foreign table/);
  });

  it('never probes a foreign table, and reports it as unmeasured rather than 0 ms', async () => {
    const result = await measureMigration({
      name: 'fdw',
      branch: db.name,
      connection: db.config,
      migration: { kind: 'sql', sql: 'ALTER TABLE tiny ADD COLUMN x int;\n' },
    });
    expect(result.status, result.error ?? '').toBe('passed');
    const remote = result.blocking.tables['public.remote'];
    expect(remote?.reads.status).toBe('unmeasured');
    expect(remote?.reads.unmeasured_reason).toMatch(/foreign table/);
    expect(remote?.reads.probes).toBe(0);
    expect(result.blocking.tables['public.order_totals']?.reads.status).toBe('measured');
    expect(result.blocking.tables['public.order_totals']?.writes.status).toBe('not_applicable');
    expect(result.metrics?.tables_not_probed).toBe(1);
    // An empty table is still probed (a bounded scan), not left out.
    expect(result.blocking.tables['public.tiny']?.reads.status).toBe('measured');
  });
});
