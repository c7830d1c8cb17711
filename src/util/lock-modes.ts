/**
 * PostgreSQL's table-level lock modes and which conflict (docs, "Conflicting Lock Modes"): the
 * one table the sampler, the ranking, the reports and the suite metrics all read.
 */

/** From weakest to strongest. */
export const LOCK_MODES = [
  'AccessShareLock',
  'RowShareLock',
  'RowExclusiveLock',
  'ShareUpdateExclusiveLock',
  'ShareLock',
  'ShareRowExclusiveLock',
  'ExclusiveLock',
  'AccessExclusiveLock',
] as const;

const CONFLICTS: Record<string, readonly string[]> = {
  AccessShareLock: ['AccessExclusiveLock'],
  RowShareLock: ['ExclusiveLock', 'AccessExclusiveLock'],
  RowExclusiveLock: LOCK_MODES.slice(4),
  ShareUpdateExclusiveLock: LOCK_MODES.slice(3),
  ShareLock: ['RowExclusiveLock', 'ShareUpdateExclusiveLock', ...LOCK_MODES.slice(5)],
  ShareRowExclusiveLock: LOCK_MODES.slice(2),
  ExclusiveLock: LOCK_MODES.slice(1),
  AccessExclusiveLock: LOCK_MODES,
};

export const modesConflict = (a: string, b: string): boolean => CONFLICTS[a]?.includes(b) ?? false;

/** Position from weakest (0) to strongest; unknown modes sort last. */
export function modeStrength(mode: string): number {
  const i = (LOCK_MODES as readonly string[]).indexOf(mode);
  return i < 0 ? -1 : i;
}

/**
 * Does holding `mode` make the application wait? A read takes ACCESS SHARE, a write ROW EXCLUSIVE:
 * a long ROW EXCLUSIVE from a backfill blocks nobody, a short ACCESS EXCLUSIVE blocks everybody.
 */
export function blocks(mode: string, kind: 'reads' | 'writes'): boolean {
  return modesConflict(mode, kind === 'reads' ? 'AccessShareLock' : 'RowExclusiveLock');
}
