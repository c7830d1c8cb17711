/** Which held lock a report names: the one that blocked the application, in its strongest mode. */
import { describe, expect, it } from 'vitest';
import { longestBlockingLock } from '../src/analysis/locks.js';
import type { LockHeld } from '../src/result.js';

const lock = (relation: string, mode: string, held_ms: number, statement = 1): LockHeld => ({
  relation,
  mode,
  held_ms,
  statement,
  start_ms: 0,
});

describe('the blocking lock to name', () => {
  it('ignores locks that block nobody, however long', () => {
    const locks = [lock('public.users', 'RowExclusiveLock', 9000), lock('public.users', 'ShareLock', 40)];
    expect(longestBlockingLock(locks, 'writes')?.mode).toBe('ShareLock');
    expect(longestBlockingLock(locks, 'reads')).toBeUndefined();
  });

  it('prefers a table the application uses over an index only the migration can see', () => {
    const locks = [
      lock('public.idx_new', 'AccessExclusiveLock', 300, 8),
      lock('public.users', 'ShareLock', 290, 8),
    ];
    expect(longestBlockingLock(locks, 'any', ['public.users'])?.relation).toBe('public.users');
    // CREATE INDEX CONCURRENTLY: ACCESS EXCLUSIVE only on its own new index, nothing on the table.
    const concurrent = [
      lock('public.idx_new', 'AccessExclusiveLock', 8, 2),
      lock('public.users', 'ShareUpdateExclusiveLock', 90, 2),
    ];
    expect(longestBlockingLock(concurrent, 'any', ['public.users'])).toBeUndefined();
  });

  it('names the strongest mode of one hold seen in several modes (a rewrite: SHARE inside ACCESS EXCLUSIVE)', () => {
    const locks = [lock('public.users', 'ShareLock', 76), lock('public.users', 'AccessExclusiveLock', 74)];
    expect(longestBlockingLock(locks, 'any', ['public.users'])?.mode).toBe('AccessExclusiveLock');
    // Clearly different holds: the longer one wins.
    const apart = [
      lock('public.users', 'ShareLock', 400, 7),
      lock('public.users', 'AccessExclusiveLock', 5, 4),
    ];
    expect(longestBlockingLock(apart, 'any', ['public.users'])?.mode).toBe('ShareLock');
  });
});
