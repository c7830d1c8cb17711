/** The soak's counts, per fault kind: faults injected, leaks, lost results, checkpoint checks. */

export type FaultKind =
  | 'kill -9'
  | 'SIGHUP'
  | 'SIGTERM'
  | 'kill -9 in a shell step'
  | 'MCP cancellation'
  | 'pg_terminate_backend'
  | 'connection exhaustion'
  | 'full disk'
  | 'server restart'
  | 'vers failure';

export const KINDS: FaultKind[] = [
  'kill -9',
  'SIGHUP',
  'SIGTERM',
  'kill -9 in a shell step',
  'MCP cancellation',
  'pg_terminate_backend',
  'connection exhaustion',
  'full disk',
  'server restart',
  'vers failure',
];

export interface KindCounts {
  faults: number;
  leaks: number;
  lostResults: number;
  checksumChecks: number;
  checksumChanges: number;
  badExits: number;
  /** Wall time of the faults of this kind, each with its checks. */
  seconds: number;
}

export interface Tally {
  kinds: Record<string, KindCounts>;
  leaks: string[];
  lostResults: string[];
  badExits: string[];
  checksumChanges: number;
  checksumChecks: number;
}

export function newTally(): Tally {
  return { kinds: {}, leaks: [], lostResults: [], badExits: [], checksumChanges: 0, checksumChecks: 0 };
}

export function countsOf(t: Tally, kind: string): KindCounts {
  const counts = t.kinds[kind] ?? {
    faults: 0,
    leaks: 0,
    lostResults: 0,
    checksumChecks: 0,
    checksumChanges: 0,
    badExits: 0,
    seconds: 0,
  };
  t.kinds[kind] = counts;
  return counts;
}

/** One finding of a fault: the list says what and where, the per-kind counter says how many. */
export function note(
  t: Tally,
  kind: string,
  what: 'leaks' | 'lostResults' | 'badExits',
  message: string,
): void {
  t[what].push(message);
  countsOf(t, kind)[what]++;
}

/** A small deterministic generator, so a run can be repeated (seed printed). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** The command started after a fault must succeed: it is what cleans up after the fault. */
export function noteBadExit(
  t: Tally,
  kind: string,
  label: string,
  next: { exitCode?: number; stderr?: unknown },
): void {
  if (next.exitCode !== 0)
    note(
      t,
      kind,
      'badExits',
      `${label}: next command exited ${next.exitCode}: ${String(next.stderr).slice(-300)}`,
    );
}
