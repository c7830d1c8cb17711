/**
 * Per-statement latency statistics of the workload, by phase (baseline, migration, after), and the
 * change of each phase against the baseline window.
 */
import { round1 } from '../collector/clock.js';

export const PHASES = ['baseline', 'migration', 'after'] as const;
export type Phase = (typeof PHASES)[number];

/** One execution of a workload statement. */
export interface Execution {
  statement: number;
  phase: Phase;
  /** Shared-clock ms. */
  start: number;
  end: number;
  /** SQLSTATE of the error, 'connection' when there was none (a dropped session), null when it succeeded. */
  error: string | null;
  timedOut: boolean;
}

export interface PhaseStats {
  count: number;
  ok: number;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
  timeouts: number;
  /** Errors by SQLSTATE (timeouts not included). */
  errors: Record<string, number>;
}

export interface PhaseChange {
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
  /** p99 of the phase divided by the baseline's. */
  p99_ratio: number | null;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** Latencies count every execution that finished, failed or timed out (a timeout waited that long). */
export function phaseStats(executions: readonly Execution[]): PhaseStats {
  const latencies = executions.map((e) => e.end - e.start).sort((a, b) => a - b);
  const errors: Record<string, number> = {};
  let timeouts = 0;
  for (const e of executions) {
    if (e.timedOut) timeouts++;
    else if (e.error) errors[e.error] = (errors[e.error] ?? 0) + 1;
  }
  const p = (q: number) => {
    const v = percentile(latencies, q);
    return v === null ? null : round1(v);
  };
  return {
    count: executions.length,
    ok: executions.filter((e) => !e.error && !e.timedOut).length,
    p50_ms: p(50),
    p95_ms: p(95),
    p99_ms: p(99),
    max_ms: p(100),
    timeouts,
    errors,
  };
}

const delta = (a: number | null, b: number | null) => (a === null || b === null ? null : round1(a - b));

export function changeAgainst(phase: PhaseStats, baseline: PhaseStats): PhaseChange {
  return {
    p50_ms: delta(phase.p50_ms, baseline.p50_ms),
    p95_ms: delta(phase.p95_ms, baseline.p95_ms),
    p99_ms: delta(phase.p99_ms, baseline.p99_ms),
    max_ms: delta(phase.max_ms, baseline.max_ms),
    p99_ratio:
      phase.p99_ms === null || !baseline.p99_ms
        ? null
        : Math.round((phase.p99_ms / baseline.p99_ms) * 100) / 100,
  };
}

export interface StatementStats {
  phases: Record<Phase, PhaseStats>;
  /** Each later phase against the baseline window. */
  change: { migration: PhaseChange; after: PhaseChange };
}

export function statementStats(executions: readonly Execution[]): StatementStats {
  const phases = Object.fromEntries(
    PHASES.map((ph) => [ph, phaseStats(executions.filter((e) => e.phase === ph))]),
  ) as Record<Phase, PhaseStats>;
  return {
    phases,
    change: {
      migration: changeAgainst(phases.migration, phases.baseline),
      after: changeAgainst(phases.after, phases.baseline),
    },
  };
}
