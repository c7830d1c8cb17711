/**
 * The core flow on real PostgreSQL: checkpoint, test strategies on branches, compare, and what
 * a user relies on around it — the baseline never changes, failures and cancellations leave no
 * branch, bad input is refused before anything is created.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compareBranches,
  createCheckpoint,
  listState,
  testMigration,
  testStrategies,
} from '../../src/core/index.js';
import { CancelledError, InvalidInputError, NotFoundError } from '../../src/errors.js';
import { ComparisonSchema } from '../../src/result.js';
import { configFromUrl, withClient } from '../../src/util/pg.js';
import { adminConfig, tableChecksums } from '../helpers/db.js';
import { createProject, type TestProject } from '../helpers/project.js';

const SCHEMA = `
  CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL, name text);
  INSERT INTO users SELECT g, 'u' || g || '@example.com', 'User ' || g FROM generate_series(1, 20000) g;
  CREATE TABLE orders (id int PRIMARY KEY, user_id int REFERENCES users(id), total int);
  INSERT INTO orders SELECT g, 1 + g % 20000, g FROM generate_series(1, 20000) g;`;

async function branchDatabases(): Promise<string[]> {
  return withClient(adminConfig(), async (c) =>
    (
      await c.query<{ datname: string }>(
        `SELECT datname FROM pg_database WHERE datname LIKE 'vdb\\_%\\_b\\_%'`,
      )
    ).rows.map((r) => r.datname),
  );
}

describe('testing strategies on branches of a checkpoint', () => {
  let p: TestProject;
  let checkpointSums: Record<string, string>;

  beforeAll(async () => {
    p = await createProject(SCHEMA);
    checkpointSums = await tableChecksums(configFromUrl(p.databaseUrl));
    const report = await createCheckpoint(p.ctx, { tag: 'baseline', includeStats: true });
    expect(report.tables?.find((t) => t.relation === 'public.users')?.rows).toBe(20000);
  });

  afterAll(async () => {
    await p.cleanup();
  });

  it('measures each strategy, recommends the non-blocking one with reasons, and removes the branches', async () => {
    const blocking = await p.file(
      'lock.sql',
      'BEGIN;\nLOCK TABLE users IN ACCESS EXCLUSIVE MODE;\nSELECT pg_sleep(0.6);\nCOMMIT;\n',
    );
    const gentle = await p.file(
      'gentle.sql',
      'ALTER TABLE users ADD COLUMN premium_level integer;\nCREATE INDEX CONCURRENTLY users_premium ON users (premium_level);\n',
    );
    const progress: string[] = [];
    // Serial runs make each branch just in time: one extra copy of the database at a time.
    const onDisk: Promise<string[]>[] = [];
    const c = await testStrategies(p.ctx, {
      baseline: 'baseline',
      migrations: [{ migration: blocking }, { migration: gentle }],
      onProgress: (x) => {
        progress.push(x.message);
        if (x.message.includes('running on branch')) onDisk.push(branchDatabases());
      },
    });
    expect((await Promise.all(onDisk)).map((dbs) => dbs.length)).toEqual([1, 1]);
    expect(ComparisonSchema.parse(c)).toBeTruthy();
    expect(c.mode).toBe('serial');
    expect(c.results.map((r) => r.status)).toEqual(['passed', 'passed']);
    const [lock, soft] = c.results;
    expect(lock!.blocking.writes.max_wait_ms).toBeGreaterThan(400);
    expect(soft!.blocking.writes.max_wait_ms).toBeLessThan(100);
    expect(c.recommendation?.name).toBe('gentle');
    expect(c.recommendation?.reasons.join('\n')).toMatch(
      /lock blocked (writes|reads) for [\d.]+ m?s .*AccessExclusiveLock on public\.users, held by statement 2 \(LOCK TABLE/,
    );
    expect(progress.some((m) => m.includes('running on branch'))).toBe(true);
    expect(await branchDatabases()).toEqual([]);
    expect((await listState(p.ctx)).branches).toEqual([]);
  });

  it('reports a failing statement with its index and SQLSTATE and leaves no branch', async () => {
    const bad = await p.file(
      'bad.sql',
      'ALTER TABLE users ADD COLUMN a int;\nALTER TABLE users ADD COLUMN a int;\n',
    );
    const r = await testMigration(p.ctx, { baseline: 'baseline', migration: bad });
    expect(r.status).toBe('failed');
    expect(r.failed_statement).toBe(2);
    expect(r.error).toMatch(/42701/);
    expect(r.statements[0]!.error).toBeNull();
    expect(await branchDatabases()).toEqual([]);
  });

  it('keeps a branch when asked, and compares it with the checkpoint read-only', async () => {
    const drop = await p.file('drop-orders.sql', 'DELETE FROM orders WHERE id > 15000;\n');
    const r = await testMigration(p.ctx, { baseline: 'baseline', migration: drop, keepBranch: true });
    expect(r.integrity.ok).toBe(false);
    expect(r.integrity.row_counts['public.orders']).toEqual({ before: 20000, after: 15000 });
    const cmp = await compareBranches(p.ctx, {
      branches: [r.branch],
      query: 'SELECT count(*)::int AS n FROM orders',
    });
    expect(cmp.row_counts['public.orders']).toEqual({ 'checkpoint:baseline': 20000, [r.branch]: 15000 });
    expect(cmp.query_results[r.branch]!.rows).toEqual([{ n: 15000 }]);
    await expect(
      compareBranches(p.ctx, { branches: [r.branch], query: 'DELETE FROM orders' }),
    ).rejects.toThrow(/must only read/);
    await expect(
      compareBranches(p.ctx, { branches: [r.branch], query: 'SELECT 1; DELETE FROM orders' }),
    ).rejects.toThrow(/one statement/);
    const still = await compareBranches(p.ctx, {
      branches: [r.branch],
      query: 'SELECT count(*)::int AS n FROM orders',
    });
    expect(still.query_results[r.branch]!.rows).toEqual([{ n: 15000 }]);
    await (await p.ctx.backend()).destroy(r.branch);
  });

  it('refuses bad input before creating anything', async () => {
    const ok = await p.file('ok.sql', 'SELECT 1;\n');
    await expect(testMigration(p.ctx, { baseline: 'nope', migration: ok })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(testMigration(p.ctx, { baseline: 'baseline', migration: 'missing.sql' })).rejects.toThrow(
      /migration file not found: missing\.sql/,
    );
    const empty = await p.file('empty.sql', '-- nothing here\n');
    await expect(testMigration(p.ctx, { baseline: 'baseline', migration: empty })).rejects.toBeInstanceOf(
      InvalidInputError,
    );
    const meta = await p.file('meta.sql', 'SELECT 1;\n\\set x 1\nSELECT 2;\n');
    await expect(testMigration(p.ctx, { baseline: 'baseline', migration: meta })).rejects.toThrow(
      /line 2.*meta-command/,
    );
    expect(await branchDatabases()).toEqual([]);
  });

  it('cancelling mid-statement cancels it and removes the branch', async () => {
    const slow = await p.file('slow.sql', 'SELECT pg_sleep(30);\n');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 1500);
    const started = Date.now();
    await expect(
      testMigration(p.ctx, { baseline: 'baseline', migration: slow, signal: controller.signal }),
    ).rejects.toBeInstanceOf(CancelledError);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await branchDatabases()).toEqual([]);
    expect((await listState(p.ctx)).branches).toEqual([]);
  });

  it('after all of that, the checkpoint holds exactly the data it was made from', async () => {
    const r = await (await p.ctx.backend()).rollback('baseline');
    const copy = configFromUrl(r.target);
    expect(await tableChecksums(copy)).toEqual(checkpointSums);
  });
});
