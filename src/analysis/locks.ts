/**
 * Which held locks matter to the application. A read takes ACCESS SHARE, which only ACCESS
 * EXCLUSIVE blocks; a write takes ROW EXCLUSIVE, which SHARE and every stronger mode block
 * (PostgreSQL's table-level lock conflict matrix). A long ROW EXCLUSIVE lock from a backfill
 * blocks nobody; a short ACCESS EXCLUSIVE one blocks everybody.
 */
import type { LockHeld } from '../result.js';

const BLOCKS_READS = new Set(['AccessExclusiveLock']);
const BLOCKS_WRITES = new Set(['ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock']);

export function blocks(mode: string, kind: 'reads' | 'writes'): boolean {
  return (kind === 'reads' ? BLOCKS_READS : BLOCKS_WRITES).has(mode);
}

/**
 * The longest-held lock that would block `kind` (reads, writes, or 'any' = writes or stronger).
 * Locks on `tables` (the tables the application was probed on) come first: a CREATE INDEX holds
 * AccessExclusiveLock on the index it is building, which nobody else can see yet, while the
 * ShareLock it holds on the table is what the application waits for.
 */
export function longestBlockingLock(
  locks: readonly LockHeld[],
  kind: 'reads' | 'writes' | 'any',
  tables: readonly string[] = [],
): LockHeld | undefined {
  const relevant = locks.filter((l) => (kind === 'any' ? blocks(l.mode, 'writes') : blocks(l.mode, kind)));
  const longest = (xs: LockHeld[]) => [...xs].sort((a, b) => b.held_ms - a.held_ms)[0];
  return longest(relevant.filter((l) => tables.includes(l.relation))) ?? longest(relevant);
}
