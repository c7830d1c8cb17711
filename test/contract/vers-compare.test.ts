/**
 * db_compare_branches is annotated read-only: on Vers it logs in as the read-only role made in
 * the base VM before the checkpoint's commit, which can read everything a comparison needs (row
 * counts, the catalog, the query) and change nothing (fake vers: real PostgreSQL VMs).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VersBackend } from '../../src/backends/vers.js';
import { provisionVersBase } from '../../src/backends/vers-provision.js';
import { compareBranches, createCheckpoint } from '../../src/core/index.js';
import { withClient } from '../../src/util/pg.js';
import { type FakeVersWorld, fakeVersWorld } from '../vers/fake-env.js';

let world: FakeVersWorld;
let backend: VersBackend;

beforeAll(async () => {
  world = await fakeVersWorld();
  await provisionVersBase(world.ctx, { databases: ['app'] });
  backend = (await world.ctx.backend()) as VersBackend;
  const src = await backend.connectSource();
  try {
    await withClient(src.config, (c) =>
      c.query(`CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL);
               INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 50) g`),
    );
  } finally {
    await src.close();
  }
  await createCheckpoint(world.ctx, { tag: 'base' });
  await backend.branch('base', ['changed']);
  const conn = await backend.connect('changed');
  try {
    await withClient(conn.config, (c) =>
      c.query('DELETE FROM items WHERE id > 40; ALTER TABLE items ADD note text'),
    );
  } finally {
    await conn.close();
  }
}, 300_000);

afterAll(async () => {
  await world?.teardown();
});

describe('compare on Vers', () => {
  it('reads counts, the catalog and the query as the read-only role', async () => {
    const r = await compareBranches(world.ctx, {
      branches: ['changed'],
      query: 'SELECT count(*)::int AS n FROM items',
    });
    expect(r.row_counts['public.items']).toMatchObject({ 'checkpoint:base': 50, changed: 40 });
    expect(r.schema_differences.changed!.join('\n')).toContain('note');
    expect(r.query_results.changed).toMatchObject({ error: null, rows: [{ n: 40 }] });
  });

  it('the role it logs in as cannot write, even outside a read-only transaction', async () => {
    const conn = await backend.connect('changed', { as: 'reader' });
    try {
      expect(conn.config.user).toBe('vers_db_reader');
      const err = await withClient(conn.config, async (c) => {
        await c.query('SET default_transaction_read_only = off');
        await c.query('DELETE FROM items');
      }).catch((e: unknown) => e as { code?: string });
      expect(err).toMatchObject({ code: '42501' }); // insufficient_privilege
    } finally {
      await conn.close();
    }
  });
});
