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

/** The longest-held lock that would block `kind` (reads or writes), if any. */
export function longestBlockingLock(
  locks: readonly LockHeld[],
  kind: 'reads' | 'writes' | 'any',
): LockHeld | undefined {
  const relevant = locks.filter((l) => (kind === 'any' ? blocks(l.mode, 'writes') : blocks(l.mode, kind)));
  return [...relevant].sort((a, b) => b.held_ms - a.held_ms)[0];
}
