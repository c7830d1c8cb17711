/**
 * The workload on real PostgreSQL: per-statement latency by phase against the baseline, writes that
 * roll back, and committed writes that a copy-and-swap loses (issue 9: of 264 inserts committed
 * during strategy C, 211 ended in users_old) while a plain ADD COLUMN keeps every one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { rank } from '../../src/analysis/rank.js';
import { measureMigration } from '../../src/collector/index.js';
import { StrategyResultSchema } from '../../src/result.js';
import { withClient } from '../../src/util/pg.js';
import { parseWorkloadFile } from '../../src/workload/file.js';
import { testDatabase, usersTableSql } from '../collector/fixtures.js';

let drop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await drop?.();
  drop = undefined;
});

async function users(rows: number) {
  const db = await testDatabase('workload', usersTableSql(rows));
  drop = db.drop;
  return db;
}

const n = (x: number) => x.toLocaleString('en-US');
const count = (config: object, sql: string) =>
  withClient(config, async (c) => Number((await c.query<{ n: string }>(sql)).rows[0]!.n));

/** An application that signs up a user every ~5 ms and commits it. */
const SIGN_UPS = `
-- @rate 200
-- @concurrency 2
-- @baseline 500
-- @after 300
-- @name sign-up
-- @commit
-- @param $1 fresh text user-{n}@example.com
INSERT INTO users (email, name) VALUES ($1, 'new') RETURNING id;
`;

/** Strategy C of the use case: copy into users_v2, then rename-swap. */
const COPY_AND_SWAP = `
CREATE TABLE users_v2 (id UUID PRIMARY KEY, email TEXT NOT NULL, name TEXT, premium_level INTEGER NOT NULL DEFAULT 0, created_at TIMESTAMPTZ DEFAULT now());
INSERT INTO users_v2 (id, email, name, premium_level, created_at) SELECT id, email, name, 0, created_at FROM users;
SELECT pg_sleep(0.3);
BEGIN;
ALTER TABLE users RENAME TO users_old;
ALTER TABLE users_v2 RENAME TO users;
COMMIT;`;

describe('committed workload writes', () => {
  it('a copy-and-swap loses the writes committed during the copy: integrity fails with the count', async () => {
    const db = await users(100_000);
    const workload = await parseWorkloadFile(SIGN_UPS, 'signups.sql');
    const result = StrategyResultSchema.parse(
      await measureMigration({
        name: 'new-table-swap',
        branch: db.name,
        connection: db.config,
        migration: { kind: 'sql', sql: COPY_AND_SWAP },
        workload,
      }),
    );
    expect(result.status, result.error ?? '').toBe('passed');
    const w = result.workload!.writes;
    // Everything inserted before the copy's snapshot is in the new table; what came after is not.
    const inOld = (await count(db.config, 'SELECT count(*) AS n FROM users_old')) - 100_000;
    const inNew = (await count(db.config, 'SELECT count(*) AS n FROM users')) - 100_000;
    expect(w.committed).toBe(inOld);
    expect(w.committed_during_migration).toBeGreaterThan(20);
    expect(w.missing).toBe(inOld - inNew);
    expect(w.missing).toBeGreaterThanOrEqual(w.committed_during_migration - 5);
    expect(w.found_in).toEqual({ 'public.users_old': w.missing });
    expect(result.integrity.ok).toBe(false);
    expect(result.integrity.problems).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^${n(w.missing)} of ${n(w.committed)} writes the application committed are missing after the migration \\(${n(w.missing_during_migration)} of ${n(w.committed_during_migration)} committed during it\\); found instead: ${n(w.missing)} in public.users_old$`,
        ),
      ),
    );
    const ranking = rank([result]);
    expect(ranking.recommendation).toBeNull();
    expect(ranking.rejected[0]!.reason).toMatch(/integrity: .*writes the application committed are missing/);
  });

  it('a plain ADD COLUMN keeps every committed write', async () => {
    const db = await users(20_000);
    const workload = await parseWorkloadFile(SIGN_UPS, 'signups.sql');
    const result = StrategyResultSchema.parse(
      await measureMigration({
        name: 'add-column',
        branch: db.name,
        connection: db.config,
        migration: {
          kind: 'sql',
          sql: 'ALTER TABLE users ADD COLUMN premium_level int;\nSELECT pg_sleep(0.5);',
        },
        workload,
      }),
    );
    const w = result.workload!.writes;
    expect(w.committed_during_migration).toBeGreaterThan(40);
    expect(w.committed).toBe((await count(db.config, 'SELECT count(*) AS n FROM users')) - 20_000);
    expect(w).toMatchObject({ missing: 0, missing_during_migration: 0, unverifiable: 0, found_in: {} });
    expect(w.checked).toBe(w.committed);
    expect(result.integrity.ok, (result.integrity.problems ?? []).join('; ')).toBe(true);
  });
});

describe('per-statement latency', () => {
  it('times each statement by phase against the baseline; uncommitted writes roll back', async () => {
    const db = await users(20_000);
    const workload = await parseWorkloadFile(
      `-- @rate 200
-- @concurrency 3
-- @baseline 800
-- @after 500
-- @name read
-- @param $1 key users
SELECT name FROM users WHERE id = $1;
-- @name rename
-- @param $1 key users(email)
UPDATE users SET name = 'renamed' WHERE email = $1;
-- @name bad
-- @param $1 value not-a-number
SELECT $1::int;
`,
      'app.sql',
    );
    const result = StrategyResultSchema.parse(
      await measureMigration({
        name: 'exclusive',
        branch: db.name,
        connection: db.config,
        migration: {
          kind: 'sql',
          sql: 'BEGIN;\nLOCK TABLE users IN ACCESS EXCLUSIVE MODE;\nSELECT pg_sleep(0.8);\nCOMMIT;',
        },
        workload,
      }),
    );
    const wl = result.workload!;
    expect(wl.windows.baseline_ms).toBeGreaterThanOrEqual(790);
    expect(wl.windows.migration_ms).toBeGreaterThanOrEqual(790);
    expect(wl.windows.after_ms).toBeGreaterThanOrEqual(490);
    const [read, rename, bad] = wl.statements;
    for (const s of [read!, rename!]) {
      const { baseline, migration, after } = s.phases;
      expect(baseline.count).toBeGreaterThan(10);
      expect(baseline.errors).toEqual({});
      expect(baseline.p99_ms!).toBeLessThan(100);
      // Whatever ran of it during the migration queued behind the lock, or ran before it was taken.
      if (migration.count > 0) expect(migration.max_ms!).toBeLessThan(1500);
      expect(after.count).toBeGreaterThan(10);
      expect(after.p99_ms!).toBeLessThan(200);
      expect(baseline.p50_ms!).toBeLessThanOrEqual(baseline.p95_ms!);
      expect(baseline.p95_ms!).toBeLessThanOrEqual(baseline.p99_ms!);
      expect(baseline.p99_ms!).toBeLessThanOrEqual(baseline.max_ms!);
    }
    // Every session ends up behind the ACCESS EXCLUSIVE lock for most of its 800 ms, on whichever of
    // the two table statements it picked first (the third touches no table and never waits).
    const worst = [read!, rename!].sort(
      (x, y) => (y.phases.migration.max_ms ?? 0) - (x.phases.migration.max_ms ?? 0),
    )[0]!;
    expect(worst.phases.migration.max_ms!).toBeGreaterThan(500);
    expect(worst.change.migration.max_ms!).toBeGreaterThan(400);
    expect(read!.phases.migration.count + rename!.phases.migration.count).toBeGreaterThanOrEqual(3);
    const badTotal = bad!.phases.baseline.count + bad!.phases.migration.count + bad!.phases.after.count;
    expect(badTotal).toBeGreaterThan(10);
    expect(bad!.phases.baseline.errors).toEqual({ '22P02': bad!.phases.baseline.count });
    expect(bad!.phases.baseline.ok).toBe(0);
    // The UPDATEs rolled back: no row was renamed, and their dead versions are the workload's, not the migration's.
    expect(await count(db.config, "SELECT count(*) AS n FROM users WHERE name = 'renamed'")).toBe(0);
    const updates = rename!.phases.baseline.ok + rename!.phases.migration.ok + rename!.phases.after.ok;
    expect(wl.dead_tuples).toEqual({ 'public.users': updates });
    expect(wl.writes.committed).toBe(0);
    expect(wl.wal_bytes_baseline).toBeGreaterThan(0);
    expect(result.integrity.ok).toBe(true);
  });

  it('counts statements cancelled by the workload timeout as timeouts', async () => {
    const db = await users(1000);
    const workload = await parseWorkloadFile(
      `-- @rate 50
-- @concurrency 2
-- @baseline 300
-- @after 200
-- @timeout 150
-- @param $1 key users
SELECT name FROM users WHERE id = $1;
`,
      'app.sql',
    );
    const result = await measureMigration({
      name: 'exclusive',
      branch: db.name,
      connection: db.config,
      migration: {
        kind: 'sql',
        sql: 'BEGIN;\nLOCK TABLE users IN ACCESS EXCLUSIVE MODE;\nSELECT pg_sleep(0.6);\nCOMMIT;',
      },
      workload,
    });
    const m = result.workload!.statements[0]!.phases.migration;
    expect(m.timeouts).toBeGreaterThanOrEqual(2);
    expect(m.errors).toEqual({});
    expect(m.max_ms!).toBeGreaterThanOrEqual(140);
    expect(result.workload!.statements[0]!.phases.baseline.timeouts).toBe(0);
  });
});
