/**
 * The lock-queue trap: a catalog-only ALTER blocks nobody on an idle table, but with a slow
 * query already reading it, the ALTER waits in the queue and every new read and write waits
 * behind the ALTER. The probes must measure that pile-up.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { measureMigration } from '../../src/collector/index.js';
import { testDatabase, usersTableSql } from './fixtures.js';

let drop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await drop?.();
  drop = undefined;
});

const ALTER = {
  kind: 'sql' as const,
  sql: 'ALTER TABLE users ADD COLUMN premium_level integer DEFAULT 0 NOT NULL;\n',
};

describe('a long reader ahead of the migration', () => {
  it('turns an instant ALTER into seconds of blocked reads and writes, and says so', async () => {
    const db = await testDatabase('coll_queue', usersTableSql(2000));
    drop = db.drop;
    const base = { name: 'a', branch: db.name, connection: db.config, migration: ALTER };

    const idle = await measureMigration(base);
    expect(idle.blocking.reads.max_wait_ms).toBeLessThan(50);
    expect(idle.blocking.writes.max_wait_ms).toBeLessThan(50);

    // Same change on the same table (another column name: the first run added premium_level).
    const queued = await measureMigration({
      ...base,
      name: 'a-behind-reader',
      migration: { kind: 'sql', sql: 'ALTER TABLE users ADD COLUMN tier integer DEFAULT 0 NOT NULL;\n' },
      longReaderMs: 800,
    });
    expect(queued.status, queued.error ?? '').toBe('passed');
    // The ALTER itself waited for the reader...
    expect(queued.statements[0]!.duration_ms).toBeGreaterThan(600);
    // ...and reads and writes queued behind the waiting ALTER.
    expect(queued.blocking.reads.max_wait_ms).toBeGreaterThan(500);
    expect(queued.blocking.writes.max_wait_ms).toBeGreaterThan(500);
    expect(queued.metrics?.long_reader_ms).toBe(800);
    // The timeline shows the ALTER waiting for its lock before it got it.
    expect(
      queued.timeline?.locks.some(
        (l) => !l.granted && l.mode === 'AccessExclusiveLock' && l.relation === 'public.users',
      ),
    ).toBe(true);
  });
});
