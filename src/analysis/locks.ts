/** Which held locks matter to the application, and which one a report names. */
import { MDL_TYPES, mdlBlocks, normaliseMdlType } from '../engines/mysql/locks.js';
import type { LockHeld } from '../result.js';
import { blocks as pgBlocks, modeStrength as pgModeStrength } from '../util/lock-modes.js';

/** A MySQL metadata-lock type (SHARED_NO_WRITE, EXCLUSIVE, …) rather than a PostgreSQL lock mode. */
const isMdl = (mode: string) => (MDL_TYPES as readonly string[]).includes(normaliseMdlType(mode));

/** Does holding `mode` make the application's reads or writes wait (either engine's modes)? */
function blocks(mode: string, kind: 'reads' | 'writes'): boolean {
  return isMdl(mode) ? mdlBlocks(mode)[kind] : pgBlocks(mode, kind);
}

function modeStrength(mode: string): number {
  return isMdl(mode)
    ? (MDL_TYPES as readonly string[]).indexOf(normaliseMdlType(mode))
    : pgModeStrength(mode);
}

/**
 * The longest-held lock that would block `kind` (reads, writes, or 'any' = writes or stronger),
 * on one of `tables` (the tables the application was probed on) when they are given: a CREATE
 * INDEX holds AccessExclusiveLock on the index it is building, which nobody else can see yet,
 * while the ShareLock it holds on the table is what the application waits for.
 */
export function longestBlockingLock(
  locks: readonly LockHeld[],
  kind: 'reads' | 'writes' | 'any',
  tables: readonly string[] = [],
): LockHeld | undefined {
  const relevant = locks.filter((l) => (kind === 'any' ? blocks(l.mode, 'writes') : blocks(l.mode, kind)));
  // With probed tables known, only their locks matter to the application; a lock on an index
  // being built (CREATE INDEX CONCURRENTLY takes ACCESS EXCLUSIVE on it) blocks nobody.
  const pool = tables.length > 0 ? relevant.filter((l) => tables.includes(l.relation)) : relevant;
  const longest = [...pool].sort((a, b) => b.held_ms - a.held_ms)[0];
  if (!longest) return undefined;
  // One statement often holds several modes on a table for the same time (a rewrite holds SHARE
  // for its index builds inside ACCESS EXCLUSIVE): name the strongest, which explains the most.
  const sameHold = pool.filter(
    (l) => l.relation === longest.relation && l.held_ms >= SAME_HOLD * longest.held_ms,
  );
  return sameHold.sort((a, b) => modeStrength(b.mode) - modeStrength(a.mode))[0];
}

/** Holds within 10 % of each other on one relation are the same hold, seen in several modes. */
const SAME_HOLD = 0.9;
