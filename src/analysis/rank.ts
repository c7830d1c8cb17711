/**
 * Ranking and recommendation: reject failed, invalid or integrity-breaking
 * strategies, then prefer the least blocking of writes and reads, then the shortest time, then
 * the least bloat. Blocking below a tolerance counts as none, so a strategy that blocks for 3 ms
 * is not rejected in favour of one that takes ten times as long. Reasons quote measured numbers.
 */

import type { Comparison, ProbeStats, Recommendation, StrategyResult } from '../result.js';
import { formatBytes, formatMs } from '../util/units.js';
import { countsDeadTuples, largestGrowth } from './growth.js';
import { longestBlockingLock } from './locks.js';

export interface RankOptions {
  /** Waits at or below this are treated as not blocking (default 100 ms). */
  blockingToleranceMs?: number;
}

export const DEFAULT_BLOCKING_TOLERANCE_MS = 100;

export interface Ranking {
  ranked: StrategyResult[];
  rejected: { name: string; reason: string }[];
  recommendation: Recommendation | null;
}

export function rejectionReason(r: StrategyResult): string | null {
  // A deploy that would not get through with its lock_timeout and retries is rejected for that.
  if (r.deploy && !r.deploy.got_through && r.deploy.reason) return `deploy rehearsal: ${r.deploy.reason}`;
  if (r.status === 'failed') return r.error ?? 'failed';
  if (r.validation?.status === 'failed') return 'validation failed';
  if (!r.integrity.ok) return `integrity: ${(r.integrity.problems ?? ['check failed']).join('; ')}`;
  if (r.equivalence?.status === 'different')
    return `does not end like ${r.equivalence.original}: ${r.equivalence.differences.slice(0, 3).join('; ')}`;
  return null;
}

const deadTuples = (r: StrategyResult) => r.bloat.tables.reduce((sum, t) => sum + (t.dead_tuples ?? 0), 0);

/** Blocking above the tolerance, in ms; below it, 0. A deadlock with the application outranks any wait. */
function excess(stats: ProbeStats, tolerance: number): number {
  if ((stats.deadlocks ?? 0) > 0) return Number.MAX_SAFE_INTEGER;
  return stats.max_wait_ms > tolerance ? stats.max_wait_ms : 0;
}

/** Relations (and access) nobody could measure: unknown, never "0 ms". */
export function unmeasuredOf(
  r: StrategyResult,
): { relation: string; kind: 'reads' | 'writes'; reason: string }[] {
  return Object.entries(r.blocking.tables).flatMap(([relation, t]) =>
    (['reads', 'writes'] as const)
      .filter((kind) => t[kind].status === 'unmeasured')
      .map((kind) => ({ relation, kind, reason: t[kind].unmeasured_reason ?? 'not measured' })),
  );
}

function compare(a: StrategyResult, b: StrategyResult, tolerance: number): number {
  return (
    excess(a.blocking.writes, tolerance) - excess(b.blocking.writes, tolerance) ||
    excess(a.blocking.reads, tolerance) - excess(b.blocking.reads, tolerance) ||
    // Unknown is not safe: with blocking equal, a strategy measured everywhere goes first.
    unmeasuredOf(a).length - unmeasuredOf(b).length ||
    a.duration_ms - b.duration_ms ||
    deadTuples(a) - deadTuples(b)
  );
}

function worstTable(r: StrategyResult, kind: 'reads' | 'writes'): string | undefined {
  return Object.entries(r.blocking.tables).sort(
    (x, y) => y[1][kind].max_wait_ms - x[1][kind].max_wait_ms,
  )[0]?.[0];
}

function blockingSentence(r: StrategyResult, kind: 'reads' | 'writes'): string {
  const stats = r.blocking[kind];
  const table = worstTable(r, kind) ?? 'any table';
  if (stats.status === 'unmeasured')
    return `${kind} were not measured (${stats.unmeasured_reason ?? 'no probe ran'})`;
  if (stats.max_wait_ms <= 0 && stats.timeouts === 0) return `${kind} were never blocked`;
  if (stats.cause && stats.max_wait_ms > DEFAULT_BLOCKING_TOLERANCE_MS) return stats.cause.text;
  return `${kind === 'reads' ? 'reads of' : 'writes to'} ${table} never waited more than ${formatMs(stats.max_wait_ms)}`;
}

function reasonsFor(best: StrategyResult, others: StrategyResult[], tolerance: number): string[] {
  const reasons: string[] = [];
  reasons.push(
    `${blockingSentence(best, 'writes')}; ${blockingSentence(best, 'reads')} (${best.blocking.writes.probes + best.blocking.reads.probes} probes)`,
  );
  for (const o of others) {
    const w = o.blocking.writes;
    const rd = o.blocking.reads;
    const deadlocked = (w.deadlocks ?? 0) + (rd.deadlocks ?? 0);
    if (deadlocked > 0) {
      const cause = (w.deadlocks ? w : rd).cause;
      reasons.push(
        `${o.name}: ${deadlocked} application statement(s) deadlocked with it` +
          (cause ? ` (${cause.text})` : ''),
      );
    } else if (w.max_wait_ms > tolerance || rd.max_wait_ms > tolerance) {
      const what = w.max_wait_ms >= rd.max_wait_ms ? 'writes' : 'reads';
      const stats = what === 'writes' ? w : rd;
      // Name what explains it: the measured cause, else the longest-held conflicting lock.
      const lock = stats.cause ? null : longestBlockingLock(o.locks, what, Object.keys(o.blocking.tables));
      reasons.push(
        `${o.name} blocked ${what} for ${formatMs(stats.max_wait_ms)} (${formatMs(stats.blocked_ms)} in total)` +
          (stats.cause
            ? `: ${stats.cause.text}`
            : lock
              ? `: ${lock.mode} on ${lock.relation} during statement ${lock.statement ?? '?'}`
              : ''),
      );
    } else if (o.duration_ms < best.duration_ms) {
      reasons.push(
        `${o.name} was faster (${formatMs(o.duration_ms)} vs ${formatMs(best.duration_ms)}) but blocked more`,
      );
    } else {
      reasons.push(`${o.name} took ${formatMs(o.duration_ms)} vs ${formatMs(best.duration_ms)}`);
    }
  }
  if (best.deploy) {
    const d = best.deploy;
    reasons.push(
      `the deploy got through under lock_timeout ${formatMs(d.lock_timeout_ms)} in ${d.attempts.length} ${d.attempts.length === 1 ? 'try' : 'tries'} (${formatMs(d.total_ms)})`,
    );
  }
  const unknown = unmeasuredOf(best);
  if (unknown.length > 0) {
    const listed = unknown.slice(0, 3).map((u) => `${u.kind} of ${u.relation} (${u.reason})`);
    reasons.push(
      `not measured, so unknown: ${listed.join('; ')}${unknown.length > 3 ? ` and ${unknown.length - 3} more` : ''}`,
    );
  }
  reasons.push(
    `took ${formatMs(best.duration_ms)}${best.rewrites.length ? `, rewrote ${best.rewrites.join(', ')}` : ', rewrote no table'}`,
  );
  reasons.push(leftBehind(best));
  return reasons;
}

/**
 * What the strategy left for later: dead tuples to vacuum (PostgreSQL), or, where the engine
 * counts none (InnoDB purges its own; dead_tuples is null), the largest growth of a table.
 */
function leftBehind(r: StrategyResult): string {
  if (!countsDeadTuples(r)) {
    const grown = largestGrowth(r);
    return grown ? `grew ${grown.relation} by ${formatBytes(grown.bytes)}` : 'grew no table';
  }
  const dead = deadTuples(r);
  return dead > 0 ? `left ${dead.toLocaleString('en-US')} dead tuples to vacuum` : 'left no dead tuples';
}

export function rank(results: StrategyResult[], options: RankOptions = {}): Ranking {
  const tolerance = options.blockingToleranceMs ?? DEFAULT_BLOCKING_TOLERANCE_MS;
  const rejected: Ranking['rejected'] = [];
  const eligible: StrategyResult[] = [];
  for (const r of results) {
    const why = rejectionReason(r);
    if (why) rejected.push({ name: r.name, reason: why });
    else eligible.push(r);
  }
  const ranked = [...eligible].sort((a, b) => compare(a, b, tolerance));
  const best = ranked[0];
  const recommendation = best
    ? {
        name: best.name,
        reasons: reasonsFor(best, ranked.slice(1), tolerance).concat(
          rejected.map((x) => `${x.name} was rejected: ${x.reason}`),
        ),
      }
    : null;
  return { ranked, rejected, recommendation };
}

export function buildComparison(
  baseline: string,
  backend: Comparison['backend'],
  results: StrategyResult[],
  mode: 'serial' | 'parallel',
  options?: RankOptions,
): Comparison {
  const { recommendation, rejected } = rank(results, options);
  // The engine the results were measured on (absent, as on each result, for postgres).
  const engine = results.find((r) => r.engine)?.engine;
  return { baseline, ...(engine ? { engine } : {}), backend, mode, results, recommendation, rejected };
}
