/**
 * Issue 15, deploy rehearsal: the migration run as a careful deploy would, every statement under
 * lock_timeout, a timed-out transaction retried with backoff. Behind a long reader a catalog-only
 * ALTER cannot get through without retries, and gets through with them once the reader ends; the
 * application's waits are reported for each try. Timings are asserted only through generous
 * windows; the verdicts and the counts of tries are what the tests pin.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rank } from '../../src/analysis/rank.js';
import type { DeployRehearsal } from '../../src/collector/deploy-options.js';
import { measureMigration } from '../../src/collector/index.js';
import { withClient } from '../../src/util/pg.js';
import { testDatabase, usersTableSql } from './fixtures.js';

let db: Awaited<ReturnType<typeof testDatabase>>;
beforeAll(async () => {
  db = await testDatabase(
    'coll_deploy',
    `${usersTableSql(2000)} CREATE TABLE audit (id int PRIMARY KEY, note text);`,
  );
});
afterAll(async () => {
  await db?.drop();
});

const sql = (text: string) => ({ kind: 'sql' as const, sql: text });
const deploy = (d: Partial<DeployRehearsal>): DeployRehearsal => ({
  lockTimeoutMs: 1000,
  retries: 0,
  backoffMs: 1000,
  budgetMs: 60_000,
  ...d,
});
const run = (name: string, migration: string, d: DeployRehearsal, longReaderMs: number) =>
  measureMigration({
    name,
    branch: db.name,
    connection: db.config,
    migration: sql(migration),
    deploy: d,
    longReaderMs,
    probeTables: ['users'],
  });

describe('deploy rehearsal behind a long reader', () => {
  it('a catalog-only ALTER fails with lock_timeout 1 s and no retries, and gets through with retries', async () => {
    const alter = 'ALTER TABLE users ADD COLUMN tier integer;\n';
    const once = await run('no-retries', alter, deploy({ retries: 0 }), 3000);
    expect(once.status).toBe('failed');
    expect(once.statements[0]!.sqlstate).toBe('55P03');
    const d1 = once.deploy!;
    expect(d1.got_through).toBe(false);
    expect(d1.reason).toMatch(/timed out waiting for a lock .*with no retries/);
    expect(d1.attempts.map((a) => a.outcome)).toEqual(['lock_timeout']);
    expect(d1.statements).toEqual([{ index: 1, attempts: 1, lock_timeouts: 1, got_through: false }]);
    // While the ALTER waited in the queue, the application's reads and writes waited behind it.
    expect(d1.attempts[0]!.app_waits!.waits).toBeGreaterThan(0);
    expect(d1.attempts[0]!.app_waits!.max_wait_ms).toBeGreaterThan(300);
    const ranking = rank([once]);
    expect(ranking.recommendation).toBeNull();
    expect(ranking.rejected[0]!.reason).toMatch(/^deploy rehearsal: statement 1 .*lock_timeout 1\.0 s/);

    const retried = await run('retries', alter, deploy({ retries: 5 }), 3000);
    expect(retried.status, retried.error ?? '').toBe('passed');
    const d2 = retried.deploy!;
    expect(d2.got_through).toBe(true);
    expect(d2.reason).toBeNull();
    const outcomes = d2.attempts.map((a) => a.outcome);
    expect(outcomes.length).toBeGreaterThanOrEqual(2);
    expect(outcomes.at(-1)).toBe('ok');
    expect(outcomes.slice(0, -1).every((o) => o === 'lock_timeout')).toBe(true);
    expect(d2.statements[0]).toMatchObject({ index: 1, attempts: outcomes.length, got_through: true });
    // It cannot get through before the 3 s reader has gone.
    expect(d2.total_ms).toBeGreaterThan(2000);
    // Every try that queued behind the reader made the application wait; each try says how long.
    for (const a of d2.attempts.filter((x) => x.outcome === 'lock_timeout')) {
      expect(a.app_waits!.max_wait_ms).toBeGreaterThan(300);
      expect(a.backoff_ms).toBeGreaterThan(0);
    }
    expect(d2.app_waits!.waits).toBeGreaterThanOrEqual(d2.attempts[0]!.app_waits!.waits);
    expect(rank([retried]).rejected).toEqual([]);
    const columns = await withClient(db.config, (c) =>
      c.query("SELECT 1 FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'tier'"),
    );
    expect(columns.rowCount).toBe(1);
  });

  it('re-runs a timed-out transaction from its BEGIN, after rolling it back', async () => {
    const migration = [
      'BEGIN;',
      "INSERT INTO audit VALUES (1, 'added flag');",
      'ALTER TABLE users ADD COLUMN flag boolean;',
      'COMMIT;',
    ].join('\n');
    const r = await run('txn', migration, deploy({ lockTimeoutMs: 300, retries: 8, backoffMs: 300 }), 1500);
    expect(r.status, r.error ?? '').toBe('passed');
    const d = r.deploy!;
    expect(d.attempts.length).toBeGreaterThanOrEqual(2);
    for (const a of d.attempts) expect([a.first_statement, a.last_statement]).toEqual([1, 4]);
    const [begin, insert, alter, commit] = d.statements;
    expect(begin!.attempts).toBe(d.attempts.length);
    expect(insert!.attempts).toBe(d.attempts.length);
    expect(alter!.lock_timeouts).toBe(d.attempts.length - 1);
    expect(commit!.attempts).toBe(1);
    // The rolled-back tries left nothing: the row is there once.
    const rows = await withClient(db.config, (c) => c.query('SELECT id FROM audit'));
    expect(rows.rows).toEqual([{ id: 1 }]);
  });

  it('drops the INVALID index a timed-out CREATE INDEX CONCURRENTLY left, then builds it again', async () => {
    // Giving up, the deploy still leaves no INVALID index behind.
    const gaveUp = await run(
      'cic-once',
      'CREATE INDEX CONCURRENTLY "Users Email" ON users (email);\n',
      deploy({ lockTimeoutMs: 300, retries: 0, backoffMs: 200 }),
      1500,
    );
    expect(gaveUp.status).toBe('failed');
    expect(gaveUp.deploy!.reason).toMatch(/with no retries$/);
    expect(gaveUp.deploy!.attempts[0]!.cleanup).toEqual([
      expect.objectContaining({ index: 'public.Users Email', dropped: true }),
    ]);
    expect(gaveUp.integrity.invalid_indexes).toEqual([]);

    const r = await run(
      'cic',
      'CREATE INDEX CONCURRENTLY "Users Email" ON users (email);\n',
      deploy({ lockTimeoutMs: 300, retries: 8, backoffMs: 200 }),
      1500,
    );
    expect(r.status, r.error ?? '').toBe('passed');
    const d = r.deploy!;
    expect(d.attempts[0]!.outcome).toBe('lock_timeout');
    expect(d.attempts[0]!.cleanup).toEqual([
      expect.objectContaining({ index: 'public.Users Email', dropped: true, error: null }),
    ]);
    expect(d.attempts.at(-1)!.outcome).toBe('ok');
    const indexes = await withClient(db.config, (c) =>
      c.query<{ name: string; valid: boolean }>(
        `SELECT c.relname AS name, i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
         WHERE i.indrelid = 'users'::regclass AND c.relname <> 'users_pkey'`,
      ),
    );
    expect(indexes.rows).toEqual([{ name: 'Users Email', valid: true }]);
    expect(r.integrity.invalid_indexes).toEqual([]);
  });

  it('stops retrying at the budget and says so', async () => {
    const r = await run(
      'budget',
      'ALTER TABLE users ADD COLUMN late integer;\n',
      deploy({ lockTimeoutMs: 200, retries: 50, backoffMs: 400, budgetMs: 700 }),
      2500,
    );
    expect(r.status).toBe('failed');
    expect(r.deploy!.got_through).toBe(false);
    expect(r.deploy!.reason).toMatch(/past the budget of 700 ms/);
    expect(r.deploy!.attempts.length).toBeLessThan(5);
    expect(rank([r]).rejected[0]!.reason).toMatch(/^deploy rehearsal: .*budget/);
  });
});
