/** Tallies of one probe's runs during the migration, and the ProbeStats of the result made from them. */
import type { ProbeStats, WaitCause } from '../result.js';
import { round1 } from './clock.js';
import type { ProbeStatement } from './probe-sql.js';

/** A wait longer than this counts toward `waited_share`: the application would notice it. */
export const NOTICEABLE_WAIT_MS = 100;

/** One probe run that waited, on the shared clock. */
export interface RawWait {
  pid: number;
  relation: string;
  kind: 'read' | 'write';
  statement: ProbeStatement;
  start: number;
  end: number;
  timedOut: boolean;
  deadlock: boolean;
}

export type WaitCauseOf = (wait: RawWait) => WaitCause | null;

export interface ProbeTally {
  /** Runs during the migration, errors included. */
  probes: number;
  /** Runs that measured a wait (completed, timed out or deadlocked). */
  measured: number;
  timeouts: number;
  errors: number;
  deadlocks: number;
  maxWait: number;
  over100: number;
  firstError: string | null;
  waits: RawWait[];
}

export const newTally = (): ProbeTally => ({
  probes: 0,
  measured: 0,
  timeouts: 0,
  errors: 0,
  deadlocks: 0,
  maxWait: 0,
  over100: 0,
  firstError: null,
  waits: [],
});

export const emptyProbeStats = (): ProbeStats => ({
  max_wait_ms: 0,
  blocked_ms: 0,
  probes: 0,
  timeouts: 0,
  errors: 0,
});

/** Total length of the union of intervals (overlapping waits of several tables count once). */
export function unionLength(intervals: ReadonlyArray<readonly [number, number]>): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let curStart = Number.NaN;
  let curEnd = Number.NaN;
  for (const [s, e] of sorted) {
    if (Number.isNaN(curStart) || s > curEnd) {
      if (!Number.isNaN(curStart)) total += curEnd - curStart;
      curStart = s;
      curEnd = e;
    } else curEnd = Math.max(curEnd, e);
  }
  if (!Number.isNaN(curStart)) total += curEnd - curStart;
  return total;
}

/**
 * Stats over some probes. Unmeasured when no run completed (every probe failed, or there was no
 * probe): then 0 ms would be a claim nobody measured, so the status says so and why.
 */
export function statsOf(tallies: readonly ProbeTally[], causeOf: WaitCauseOf): ProbeStats {
  const sum = (f: (t: ProbeTally) => number) => tallies.reduce((n, t) => n + f(t), 0);
  const measured = sum((t) => t.measured);
  const waits = tallies.flatMap((t) => t.waits);
  const worst = waits.reduce<RawWait | null>(
    (a, w) => (!a || w.end - w.start > a.end - a.start ? w : a),
    null,
  );
  const stats: ProbeStats = {
    max_wait_ms: round1(Math.max(0, ...tallies.map((t) => t.maxWait))),
    blocked_ms: round1(unionLength(waits.map((w) => [w.start, w.end] as const))),
    probes: sum((t) => t.probes),
    timeouts: sum((t) => t.timeouts),
    errors: sum((t) => t.errors),
    deadlocks: sum((t) => t.deadlocks),
    waited_share: measured > 0 ? Math.round((sum((t) => t.over100) / measured) * 1000) / 1000 : 0,
    status: measured > 0 ? 'measured' : 'unmeasured',
    cause: worst ? causeOf(worst) : null,
  };
  if (measured === 0) {
    const error = tallies.find((t) => t.firstError)?.firstError;
    stats.unmeasured_reason = error ? `every probe failed: ${error}` : 'no probe ran while the migration did';
  }
  return stats;
}
