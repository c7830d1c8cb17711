/**
 * allSettled semantics for strategies run side by side: one that could not be measured (its
 * branch failed, its server connection broke) becomes a failed result beside the others,
 * instead of discarding them all (issue 10: 20 tables with --parallel 8 lost all 8 results,
 * including 4 that had passed). Cancellation still cancels everything.
 */
import { CancelledError, describeError } from '../errors.js';
import type { StrategyResult } from '../result.js';

const IDLE = { max_wait_ms: 0, blocked_ms: 0, probes: 0, timeouts: 0, errors: 0 };

/** A result for a branch that ran no measured migration (a benchmark without setup). */
export function blankResult(name: string, branch: string): StrategyResult {
  return {
    name,
    branch,
    status: 'passed',
    error: null,
    duration_ms: 0,
    statements: [],
    locks: [],
    blocking: { reads: { ...IDLE }, writes: { ...IDLE }, tables: {} },
    rewrites: [],
    bloat: { tables: [] },
    integrity: { ok: true, row_counts: {}, invalid_indexes: [], not_valid_constraints: [] },
    validation: null,
  };
}

/** The result of a strategy that threw before it had a result: failed, with the reason; nothing measured. */
export function unmeasuredResult(name: string, branch: string, err: unknown): StrategyResult {
  const unmeasured = {
    ...IDLE,
    status: 'unmeasured' as const,
    unmeasured_reason: 'the strategy did not finish',
  };
  return {
    ...blankResult(name, branch),
    status: 'failed',
    error: `could not be measured: ${describeError(err)}`,
    blocking: { reads: unmeasured, writes: { ...unmeasured }, tables: {} },
    integrity: {
      ok: false,
      row_counts: {},
      invalid_indexes: [],
      not_valid_constraints: [],
      problems: ['not measured: the strategy did not finish'],
    },
  };
}

/**
 * Every fulfilled value, and `onRejected` for the rest. Throws CancelledError when `signal` was
 * aborted, and (unless `allFailedThrows` is false) the first error when nothing at all succeeded:
 * then there is nothing to compare, and one strategy's error stays an error.
 */
export function collectSettled<T>(
  settled: readonly PromiseSettledResult<T>[],
  onRejected: (index: number, reason: unknown) => T,
  signal?: AbortSignal,
  allFailedThrows = true,
): T[] {
  const rejected = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (signal?.aborted || rejected.some((r) => r.reason instanceof CancelledError)) throw new CancelledError();
  if (allFailedThrows && rejected.length > 0 && rejected.length === settled.length) throw rejected[0]!.reason;
  return settled.map((s, i) => (s.status === 'fulfilled' ? s.value : onRejected(i, s.reason)));
}
