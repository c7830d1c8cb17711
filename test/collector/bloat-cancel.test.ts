/**
 * Acceptance: a full-table UPDATE shows one dead tuple per row and the added column in the schema
 * diff (with and without pgstattuple); cancelling mid-statement stops fast and leaves no session.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { measureMigration } from '../../src/collector/index.js';
import { CancelledError } from '../../src/errors.js';
import { withClient } from '../../src/util/pg.js';
import { adminConfig } from '../helpers/db.js';
import { collectorBackends, eventually, testDatabase, usersTableSql } from './fixtures.js';

const ROWS = 20_000;
const BACKFILL = 'ALTER TABLE users ADD COLUMN premium_level integer;\nUPDATE users SET premium_level = 0;';

let drop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await drop?.();
  drop = undefined;
});

describe('bloat and schema changes', () => {
  for (const withPgstattuple of [false, true]) {
    it(`a full-table UPDATE leaves ~one dead tuple per row (${withPgstattuple ? 'pgstattuple_approx' : 'n_dead_tup'})`, async () => {
      const db = await testDatabase(
        'coll_bloat',
        `${withPgstattuple ? 'CREATE EXTENSION pgstattuple;' : ''}${usersTableSql(ROWS)}`,
      );
      drop = db.drop;
      const result = await measureMigration({
        name: 'backfill',
        branch: db.name,
        connection: db.config,
        migration: { kind: 'sql', sql: BACKFILL },
      });
      expect(result.status, result.error ?? '').toBe('passed');
      expect(result.metrics?.dead_tuples_from_pgstattuple).toBe(withPgstattuple ? 1 : 0);
      const users = result.bloat.tables.find((t) => t.relation === 'public.users')!;
      console.error('bloat:', JSON.stringify({ users, wal_bytes: result.wal_bytes }));
      expect(users.dead_tuples).toBeGreaterThanOrEqual(ROWS * 0.9);
      expect(users.dead_tuples).toBeLessThanOrEqual(ROWS * 1.1);
      expect(users.dead_pct).toBeGreaterThan(20);
      expect(users.size_after).toBeGreaterThan(users.size_before * 1.5);
      expect(result.wal_bytes).toBeGreaterThan(0);
      expect(result.rewrites).toEqual([]);
      expect(result.schema_changes).toEqual(['+ column public.users.premium_level integer']);
    });
  }
});

describe('cancellation', () => {
  it('cancels the running statement, throws CancelledError quickly and leaves no collector session', async () => {
    const db = await testDatabase('coll_cancel', usersTableSql(100));
    drop = db.drop;
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 300);
    const outcome = measureMigration({
      name: 'sleepy',
      branch: db.name,
      connection: db.config,
      signal: controller.signal,
      migration: { kind: 'sql', sql: 'SELECT 1;\nSELECT pg_sleep(30);\nSELECT 2;' },
    });
    await expect(outcome).rejects.toBeInstanceOf(CancelledError);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(
      await eventually(
        () => collectorBackends(db.name),
        (b) => b.length === 0,
      ),
    ).toEqual([]);
  });

  it('reports a dropped migration connection as a failed statement and closes everything', async () => {
    const db = await testDatabase('coll_drop', usersTableSql(100));
    drop = db.drop;
    const killer = setTimeout(() => {
      void withClient(adminConfig(), (c) =>
        c.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'vers-db:migration'`,
          [db.name],
        ),
      );
    }, 400);
    const result = await measureMigration({
      name: 'dropped',
      branch: db.name,
      connection: db.config,
      migration: { kind: 'sql', sql: 'SELECT pg_sleep(5);\nSELECT 2;' },
    }).finally(() => clearTimeout(killer));
    expect(result.status).toBe('failed');
    expect(result.failed_statement).toBe(1);
    expect(result.error).toMatch(/^statement 1 \(line 1\): (57P01 terminating connection|connection lost)/);
    expect(result.statements[0]!.duration_ms).toBeLessThan(3000);
    expect(
      await eventually(
        () => collectorBackends(db.name),
        (b) => b.length === 0,
      ),
    ).toEqual([]);
  });

  it('refuses to start when already cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      measureMigration({
        name: 'x',
        branch: 'x',
        connection: { host: '127.0.0.1', port: 1 },
        signal: controller.signal,
        migration: { kind: 'sql', sql: 'SELECT 1' },
      }),
    ).rejects.toBeInstanceOf(CancelledError);
  });
});
