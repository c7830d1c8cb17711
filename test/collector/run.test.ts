/**
 * Acceptance: the migration runs as `psql -f` would (DO blocks with COMMIT, CONCURRENTLY, explicit
 * transactions), failures say where and why, and the integrity verdict catches what broke.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { execa } from 'execa';
import type { ClientConfig } from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExecOptions, ExecResult } from '../../src/backends/backend.js';
import { measureMigration, tableChecksums } from '../../src/collector/index.js';
import { StrategyResultSchema } from '../../src/result.js';
import { withClient } from '../../src/util/pg.js';
import { testDatabase, usersTableSql } from './fixtures.js';

/** Strategy B of the seed use case, verbatim, as shipped in examples/. */
const STRATEGY_B = readFileSync(
  resolve(import.meta.dirname, '../../examples/migrations/v2-strategy-b.sql'),
  'utf8',
);

let drop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await drop?.();
  drop = undefined;
});

async function freshUsers(rows: number) {
  const db = await testDatabase('coll_run', usersTableSql(rows));
  drop = db.drop;
  return db;
}

const query = <T extends object>(config: ClientConfig, sql: string) =>
  withClient(config, async (c) => (await c.query<T>(sql)).rows);

describe('running a migration like psql -f', () => {
  it('runs strategy B unmodified: a DO block that COMMITs, then CREATE INDEX CONCURRENTLY', async () => {
    const db = await freshUsers(25_000);
    const progress: Array<{ message: string; progress?: number; total?: number }> = [];
    const result = StrategyResultSchema.parse(
      await measureMigration({
        name: 'add-nullable-backfill',
        branch: db.name,
        connection: db.config,
        migration: { kind: 'sql', sql: STRATEGY_B, file: 'migrations/v2-strategy-b.sql' },
        onProgress: (p) => progress.push(p),
      }),
    );
    expect(progress).toContainEqual({
      message: 'statement 4/4 (line 33): CREATE INDEX CONCURRENTLY idx_users_premium ON users(premium_level)',
      progress: 3,
      total: 4,
    });
    expect(result.status, result.error ?? '').toBe('passed');
    expect(result.statements.map((s) => [s.index, s.line, s.error])).toEqual([
      [1, 2, null],
      [2, 5, null],
      [3, 28, null],
      [4, 33, null],
    ]);
    const [column] = await query<{ nulls: string; notnull: boolean }>(
      db.config,
      `SELECT (SELECT count(*) FROM users WHERE premium_level IS NULL) AS nulls,
              (SELECT attnotnull FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'premium_level') AS notnull`,
    );
    expect(column).toEqual({ nulls: '0', notnull: true });
    expect(result.integrity).toMatchObject({ ok: true, invalid_indexes: [], not_valid_constraints: [] });
    expect(result.integrity.row_counts['public.users']).toEqual({ before: 25_000, after: 25_000 });
    expect(result.schema_changes).toEqual([
      '+ column public.users.premium_level integer NOT NULL DEFAULT 0',
      '+ index public.idx_users_premium ON public.users USING btree (premium_level)',
    ]);
    expect(result.rewrites).toEqual([]);
    // The backfill's row locks belong to the DO block (statement 2), not to the ALTER before it,
    // which released its locks when it returned.
    const backfill = result.locks.find((l) => l.relation === 'public.users' && l.mode === 'RowExclusiveLock');
    expect(backfill?.statement).toBe(2);
  });

  it('with collectMetrics false, runs and times the statements and counts rows, nothing else', async () => {
    const db = await freshUsers(200);
    const result = StrategyResultSchema.parse(
      await measureMigration({
        name: 'plain',
        branch: db.name,
        connection: db.config,
        collectMetrics: false,
        migration: {
          kind: 'sql',
          sql: "BEGIN;\nLOCK TABLE users;\nSELECT pg_sleep(0.2);\nDELETE FROM users WHERE email = 'user1@example.com';\nCOMMIT;",
        },
      }),
    );
    expect(result.status).toBe('passed');
    expect(result.statements[2]!.duration_ms).toBeGreaterThanOrEqual(200);
    expect(result.locks).toEqual([]);
    expect(result.blocking.reads.probes).toBe(0);
    expect(result.timeline).toBeUndefined();
    expect(result.schema_changes).toBeUndefined();
    expect(result.integrity.row_counts['public.users']).toEqual({ before: 200, after: 199 });
    expect(result.integrity.ok).toBe(false);
  });

  it('stops at the failing statement and says where and why; earlier timings are kept', async () => {
    const db = await freshUsers(100);
    const result = await measureMigration({
      name: 'fails-at-4',
      branch: db.name,
      connection: db.config,
      migration: {
        kind: 'sql',
        file: 'bad.sql',
        sql: "CREATE TABLE audit (x int);\nINSERT INTO audit VALUES (1);\nSELECT pg_sleep(0.2);\n\nINSERT INTO audit VALUES ('oops');\nCREATE TABLE never (y int);\n",
      },
    });
    expect(result.status).toBe('failed');
    expect(result.failed_statement).toBe(4);
    expect(result.error).toBe('statement 4 (line 5): 22P02 invalid input syntax for type integer: "oops"');
    expect(result.statements).toHaveLength(4);
    expect(result.statements[3]).toMatchObject({ index: 4, line: 5, sqlstate: '22P02' });
    expect(result.statements[2]!.duration_ms).toBeGreaterThanOrEqual(200);
    expect(result.statements[2]!.error).toBeNull();
    expect(result.integrity.ok).toBe(false);
    expect(result.integrity.problems).toContain('the migration failed at statement 4');
    // Autocommit: what ran before the failure stays; what came after never ran.
    expect(await query(db.config, 'SELECT x FROM audit')).toEqual([{ x: 1 }]);
    expect(await query(db.config, "SELECT to_regclass('never') AS t")).toEqual([{ t: null }]);
  });

  it('rolls back a transaction the file opened when a statement inside it fails', async () => {
    const db = await freshUsers(500);
    const sumsBefore = await withClient(db.config, tableChecksums);
    const result = await measureMigration({
      name: 'fails-in-transaction',
      branch: db.name,
      connection: db.config,
      migration: { kind: 'sql', sql: "BEGIN;\nUPDATE users SET name = 'changed';\nSELECT 1 / 0;\nCOMMIT;" },
    });
    expect(result.status).toBe('failed');
    expect(result.failed_statement).toBe(3);
    expect(result.statements[2]).toMatchObject({ sqlstate: '22012', error: 'division by zero' });
    expect(await withClient(db.config, tableChecksums)).toEqual(sumsBefore);
  });

  it('flags a transaction the file never committed', async () => {
    const db = await freshUsers(100);
    const result = await measureMigration({
      name: 'no-commit',
      branch: db.name,
      connection: db.config,
      migration: { kind: 'sql', sql: "BEGIN;\nUPDATE users SET name = 'lost';" },
    });
    expect(result.status).toBe('passed');
    expect(result.integrity.ok).toBe(false);
    expect(result.integrity.problems?.[0]).toMatch(/never committed/);
    expect(await query(db.config, "SELECT count(*)::int AS n FROM users WHERE name = 'lost'")).toEqual([
      { n: 0 },
    ]);
  });

  it('judges integrity: lost rows, a dropped table, an invalid index, a NOT VALID constraint', async () => {
    const db = await freshUsers(100);
    await withClient(db.config, (c) =>
      c.query(
        "CREATE TABLE notes (id int); INSERT INTO notes VALUES (1); INSERT INTO users (email) VALUES ('dup'), ('dup')",
      ),
    );
    const result = await measureMigration({
      name: 'breaks-things',
      branch: db.name,
      connection: db.config,
      migration: {
        kind: 'sql',
        sql: `DELETE FROM users WHERE email LIKE 'user1%';
DROP TABLE notes;
ALTER TABLE users ADD CONSTRAINT email_has_at CHECK (email LIKE '%@%') NOT VALID;
CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);`,
      },
    });
    expect(result.failed_statement).toBe(4);
    expect(result.statements[3]!.sqlstate).toBe('23505');
    expect(result.integrity.ok).toBe(false);
    expect(result.integrity.row_counts['public.notes']).toEqual({ before: 1, after: null });
    expect(result.integrity.row_counts['public.users']).toEqual({ before: 102, after: 90 });
    expect(result.integrity.invalid_indexes).toEqual(['public.users_email_key']);
    expect(result.integrity.not_valid_constraints).toEqual(['public.users.email_has_at']);
    expect(result.integrity.problems).toEqual([
      'the migration failed at statement 4',
      'table public.notes is gone (it had 1 rows)',
      'table public.users lost 12 rows (102 -> 90)',
      'index public.users_email_key is invalid (a failed or interrupted CREATE INDEX CONCURRENTLY leaves one behind)',
      'constraint public.users.email_has_at was added NOT VALID and never validated: existing rows are not checked',
    ]);
    expect(result.schema_changes).toContain('- table public.notes');
  });

  it('measures a shell-command step: the command’s own sessions are the migration', async () => {
    const db = await freshUsers(1000);
    const exec = async (command: string, opts: ExecOptions): Promise<ExecResult> => {
      const started = performance.now();
      const r = await execa('bash', ['-c', command], {
        reject: false,
        ...(opts.signal ? { cancelSignal: opts.signal } : {}),
        env: {
          PGHOST: String(db.config.host),
          PGPORT: String(db.config.port),
          PGUSER: String(db.config.user),
          PGPASSWORD: String(db.config.password),
          PGDATABASE: String(db.config.database),
        },
      });
      return {
        exitCode: r.exitCode ?? 1,
        stdout: r.stdout,
        stderr: r.stderr,
        durationMs: performance.now() - started,
      };
    };
    const result = await measureMigration({
      name: 'psql-command',
      branch: db.name,
      connection: db.config,
      exec,
      migration: {
        kind: 'command',
        command: `psql -X -v ON_ERROR_STOP=1 -c 'BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(0.5); COMMIT;'`,
      },
    });
    expect(result.status, result.error ?? '').toBe('passed');
    const lock = result.locks.find((l) => l.relation === 'public.users' && l.mode === 'AccessExclusiveLock');
    expect(lock?.statement).toBe(1);
    expect(lock!.held_ms).toBeGreaterThanOrEqual(400);
    expect(lock!.held_ms).toBeLessThanOrEqual(650);
    const users = result.blocking.tables['public.users']!;
    expect(users.reads.blocked_ms).toBeGreaterThanOrEqual(400);
    expect(users.writes.blocked_ms).toBeGreaterThanOrEqual(400);

    const failing = await measureMigration({
      name: 'psql-fails',
      branch: db.name,
      connection: db.config,
      exec,
      migration: { kind: 'command', command: `psql -X -v ON_ERROR_STOP=1 -c 'SELECT nope FROM users'` },
    });
    expect(failing.status).toBe('failed');
    expect(failing.error).toMatch(/^command exited with code 1: .*column "nope" does not exist/s);
  });
});
