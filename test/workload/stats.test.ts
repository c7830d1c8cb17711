/** Per-statement statistics: nearest-rank percentiles, errors by SQLSTATE, timeouts, change against the baseline. */
import { describe, expect, it } from 'vitest';
import { type Execution, percentile, phaseStats, statementStats } from '../../src/workload/stats.js';

const run = (ms: number, over: Partial<Execution> = {}): Execution => ({
  statement: 1,
  phase: 'baseline',
  start: 1000,
  end: 1000 + ms,
  error: null,
  timedOut: false,
  ...over,
});

describe('workload statistics', () => {
  it('uses nearest-rank percentiles', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([50, 95, 99, 100].map((p) => percentile(xs, p))).toEqual([50, 95, 99, 100]);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNull();
  });

  it('counts errors by SQLSTATE apart from timeouts, and times every execution', () => {
    const s = phaseStats([
      run(2),
      run(4),
      run(150, { error: '57014', timedOut: true }),
      run(1, { error: '23505' }),
      run(1, { error: '23505' }),
      run(3, { error: '40P01' }),
    ]);
    expect(s).toEqual({
      count: 6,
      ok: 2,
      p50_ms: 2,
      p95_ms: 150,
      p99_ms: 150,
      max_ms: 150,
      timeouts: 1,
      errors: { '23505': 2, '40P01': 1 },
    });
  });

  it('splits by phase and compares each window with the baseline', () => {
    const runs = [
      ...Array.from({ length: 20 }, () => run(2)),
      ...Array.from({ length: 20 }, (_, i) => run(i === 19 ? 900 : 3, { phase: 'migration' })),
      ...Array.from({ length: 10 }, () => run(2, { phase: 'after' })),
    ];
    const s = statementStats(runs);
    expect(s.phases.baseline.count).toBe(20);
    expect(s.phases.migration).toMatchObject({ count: 20, p50_ms: 3, p99_ms: 900, max_ms: 900 });
    expect(s.change.migration).toEqual({ p50_ms: 1, p95_ms: 1, p99_ms: 898, max_ms: 898, p99_ratio: 450 });
    expect(s.change.after).toEqual({ p50_ms: 0, p95_ms: 0, p99_ms: 0, max_ms: 0, p99_ratio: 1 });
  });

  it('has no change when a window ran nothing', () => {
    const s = statementStats([run(2)]);
    expect(s.phases.migration.count).toBe(0);
    expect(s.change.migration).toEqual({
      p50_ms: null,
      p95_ms: null,
      p99_ms: null,
      max_ms: null,
      p99_ratio: null,
    });
  });
});
