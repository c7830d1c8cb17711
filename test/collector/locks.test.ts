/**
 * Acceptance: an explicit LOCK held for one second must show up as ~1000 ms of blocking of the
 * application's reads and writes, and as a lock held ~1000 ms by statement 2.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { measureMigration } from '../../src/collector/index.js';
import { StrategyResultSchema } from '../../src/result.js';
import { testDatabase, usersTableSql } from './fixtures.js';

const within = (value: number, target: number, tolerance: number) =>
  expect(value, `${value} should be ${target} ±${tolerance * 100}%`).toBeGreaterThanOrEqual(
    target * (1 - tolerance),
  );

describe('lock sampler and probes on an explicit LOCK TABLE', () => {
  let drop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await drop?.();
    drop = undefined;
  });

  it('ACCESS EXCLUSIVE for 1 s blocks reads and writes ~1000 ms, held by statement 2', async () => {
    const db = await testDatabase('coll_lock_ax', usersTableSql(1000));
    drop = db.drop;
    const result = await measureMigration({
      name: 'lock-ax',
      branch: db.name,
      connection: db.config,
      migration: {
        kind: 'sql',
        sql: 'BEGIN;\nLOCK TABLE users IN ACCESS EXCLUSIVE MODE;\nSELECT pg_sleep(1);\nCOMMIT;\n',
      },
    });
    StrategyResultSchema.parse(result);
    expect(result.status).toBe('passed');
    const users = result.blocking.tables['public.users']!;
    console.error('ACCESS EXCLUSIVE:', JSON.stringify({ locks: result.locks, users }));
    for (const stats of [users.reads, users.writes]) {
      within(stats.blocked_ms, 1000, 0.2);
      expect(stats.blocked_ms).toBeLessThanOrEqual(1200);
      within(stats.max_wait_ms, 1000, 0.2);
      expect(stats.max_wait_ms).toBeLessThanOrEqual(1200);
    }
    const lock = result.locks.find((l) => l.relation === 'public.users' && l.mode === 'AccessExclusiveLock');
    expect(lock, JSON.stringify(result.locks)).toBeDefined();
    expect(lock!.statement).toBe(2);
    within(lock!.held_ms, 1000, 0.2);
    expect(lock!.held_ms).toBeLessThanOrEqual(1200);
    expect(lock!.blocked_pids).toBeGreaterThanOrEqual(2);
    expect(result.blocking.reads.blocked_ms).toBe(users.reads.blocked_ms);
  });

  it('SHARE for 1 s blocks writes ~1000 ms but not reads', async () => {
    const db = await testDatabase('coll_lock_sh', usersTableSql(1000));
    drop = db.drop;
    const result = await measureMigration({
      name: 'lock-share',
      branch: db.name,
      connection: db.config,
      migration: {
        kind: 'sql',
        sql: 'BEGIN;\nLOCK TABLE users IN SHARE MODE;\nSELECT pg_sleep(1);\nCOMMIT;\n',
      },
    });
    expect(result.status).toBe('passed');
    const users = result.blocking.tables['public.users']!;
    console.error('SHARE:', JSON.stringify({ locks: result.locks, users }));
    within(users.writes.blocked_ms, 1000, 0.2);
    expect(users.writes.blocked_ms).toBeLessThanOrEqual(1200);
    expect(users.reads.max_wait_ms).toBeLessThan(50);
    expect(users.reads.probes).toBeGreaterThan(20);
    const lock = result.locks.find((l) => l.relation === 'public.users' && l.mode === 'ShareLock');
    expect(lock?.statement).toBe(2);
    within(lock!.held_ms, 1000, 0.2);
    expect(lock!.held_ms).toBeLessThanOrEqual(1200);
  });
});
