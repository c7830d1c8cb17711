/**
 * The rehearsal's part of the result: settings, the verdict, tries per statement, and the
 * application's waits (the probes' wait records) per try and over the whole deploy, backoffs
 * included. A wait belongs to every try it overlaps.
 */
import type { AppWaits, DeployRehearsalResult, ProbeWait } from '../result.js';
import { type Clock, round1 } from './clock.js';
import type { RehearsalLog } from './deploy-rehearsal.js';
import { unionLength } from './probe-stats.js';
import type { SqlStatement } from './split.js';

function appWaits(waits: readonly ProbeWait[], from: number, to: number): AppWaits {
  const inside = waits.filter((w) => w.start_ms < to && w.start_ms + w.wait_ms > from);
  return {
    waits: inside.length,
    max_wait_ms: round1(Math.max(0, ...inside.map((w) => w.wait_ms))),
    blocked_ms: round1(unionLength(inside.map((w) => [w.start_ms, w.start_ms + w.wait_ms] as const))),
    timeouts: inside.filter((w) => w.timed_out).length,
  };
}

/** `waits`: the probes' wait records (null when nothing was measured). */
export function deployResult(
  log: RehearsalLog,
  statements: readonly SqlStatement[],
  clock: Clock,
  waits: readonly ProbeWait[] | null,
): DeployRehearsalResult {
  const s = log.settings;
  return {
    lock_timeout_ms: s.lockTimeoutMs,
    retries: s.retries,
    backoff_ms: s.backoffMs,
    budget_ms: s.budgetMs,
    got_through: log.gotThrough,
    reason: log.reason,
    total_ms: round1(log.end - log.start),
    statements: statements.map((st) => ({
      index: st.index,
      attempts: log.sent.get(st.index) ?? 0,
      lock_timeouts: log.lockTimeouts.get(st.index) ?? 0,
      got_through: log.through.has(st.index),
    })),
    attempts: log.attempts.map((a) => {
      const start = clock.relative(a.start);
      const end = clock.relative(a.end);
      return {
        first_statement: a.first,
        last_statement: a.last,
        attempt: a.attempt,
        statement: a.statement,
        start_ms: start,
        duration_ms: round1(a.end - a.start),
        outcome: a.outcome,
        error: a.error,
        backoff_ms: a.backoffMs,
        ...(a.cleanup.length ? { cleanup: a.cleanup } : {}),
        app_waits: waits ? appWaits(waits, start, end) : null,
      };
    }),
    app_waits: waits ? appWaits(waits, clock.relative(log.start), clock.relative(log.end)) : null,
  };
}
