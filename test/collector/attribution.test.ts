/**
 * Which statement held which lock, named as the application saw the table: back-to-back
 * statements that take the same lock are two holds, not one; a table swapped in by RENAME is
 * named by its new name after the swap (strategy C of the use-case).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { measureMigration } from '../../src/collector/index.js';
import { testDatabase, usersTableSql } from './fixtures.js';

let drop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await drop?.();
  drop = undefined;
});

describe('lock attribution', () => {
  it('two CREATE INDEX in a row are two ShareLock holds, each on its own statement', async () => {
    const db = await testDatabase('coll_attr', usersTableSql(300_000));
    drop = db.drop;
    const r = await measureMigration({
      name: 'two-indexes',
      branch: db.name,
      connection: db.config,
      migration: {
        kind: 'sql',
        sql: 'CREATE INDEX users_name ON users (name);\nCREATE INDEX users_email ON users (email);\n',
      },
    });
    expect(r.status).toBe('passed');
    const shares = r.locks.filter((l) => l.relation === 'public.users' && l.mode === 'ShareLock');
    expect(shares.map((l) => l.statement)).toEqual([1, 2]);
    for (const l of shares) {
      const stmt = r.statements[l.statement! - 1]!;
      // Held for the statement's duration, not for both statements together.
      expect(l.held_ms).toBeLessThanOrEqual(stmt.duration_ms + 15);
      expect(l.held_ms).toBeGreaterThan(stmt.duration_ms * 0.5);
    }
  });

  it('after a swap by RENAME, locks on the new table carry its new name', async () => {
    const db = await testDatabase('coll_swap', usersTableSql(300_000));
    drop = db.drop;
    const r = await measureMigration({
      name: 'swap',
      branch: db.name,
      connection: db.config,
      migration: {
        kind: 'sql',
        sql: `CREATE TABLE users_v2 (LIKE users INCLUDING DEFAULTS);
INSERT INTO users_v2 SELECT * FROM users;
BEGIN;
ALTER TABLE users RENAME TO users_old;
ALTER TABLE users_v2 RENAME TO users;
COMMIT;
CREATE INDEX users_email_v2 ON users (email);
`,
      },
    });
    expect(r.status).toBe('passed');
    const index = r.locks.find((l) => l.mode === 'ShareLock' && l.statement === 7);
    expect(index?.relation).toBe('public.users');
    // Writes to users waited for that index build: the app's view of the table, after the swap.
    expect(r.blocking.tables['public.users']?.writes.max_wait_ms).toBeGreaterThan(20);
  });
});
