/** The workload in the terminal table, a strategy's detail and the MCP text. */
import { describe, expect, it } from 'vitest';
import { renderComparisonTable, renderStrategyResult } from '../../src/report/table.js';
import { renderComparisonText as renderComparison } from '../../src/report/text.js';
import { type Comparison, ComparisonSchema, type StrategyResult } from '../../src/result.js';
import type { WorkloadResult } from '../../src/workload/result.js';
import { comparison, strategyC } from '../report/fixtures.js';

const phase = (p99: number, extra: object = {}) => ({
  count: 100,
  ok: 100,
  p50_ms: 1,
  p95_ms: 2,
  p99_ms: p99,
  max_ms: p99 + 1,
  timeouts: 0,
  errors: {},
  ...extra,
});
const change = { p50_ms: 0, p95_ms: 0, p99_ms: 0, max_ms: 0, p99_ratio: 1 };

const workload: WorkloadResult = {
  file: 'app.sql',
  rate: 400,
  concurrency: 8,
  timeout_ms: 30000,
  windows: { baseline_ms: 2000, migration_ms: 1800, after_ms: 1000 },
  statements: [
    {
      name: 'sign-up',
      line: 16,
      sql: 'INSERT INTO users …',
      kind: 'write',
      commit: true,
      phases: {
        baseline: phase(30),
        migration: phase(797, { ok: 97, timeouts: 1, errors: { '23505': 2 } }),
        after: phase(23),
      },
      change: { migration: { ...change, p99_ms: 767 }, after: change },
    },
  ],
  writes: {
    committed: 1188,
    committed_during_migration: 653,
    checked: 1188,
    missing: 640,
    missing_during_migration: 640,
    unverifiable: 0,
    found_in: { 'public.users_old': 640 },
    problems: [],
  },
  dead_tuples: {},
  wal_bytes: 1000,
  wal_bytes_baseline: 400,
  lost_sessions: 0,
};

describe('rendering the workload', () => {
  const withWorkload: Comparison = ComparisonSchema.parse({
    ...comparison,
    results: comparison.results.map((r: StrategyResult) =>
      r.name === strategyC.name ? { ...r, workload } : r,
    ),
  });

  it('adds a workload table and the fate of committed writes under the comparison', () => {
    const text = renderComparisonTable(withWorkload);
    expect(text).toContain('Application workload');
    expect(text).toMatch(/sign-up \(commits\).*30 ms.*797 ms \/ 798 ms.*23 ms.*2 × 23505, 1 timeouts \/ —/);
    expect(text).toContain(
      `${strategyC.name}: committed writes 1,188 committed (653 during the migration), 640 missing (found instead: 640 in public.users_old)`,
    );
    expect(renderComparisonTable(comparison)).not.toContain('Application workload');
  });

  it('details each window of each statement', () => {
    const text = renderStrategyResult({ ...strategyC, workload });
    expect(text).toContain(
      'Application workload (app.sql, 400/s, 8 sessions; windows 2.0 s / 1.8 s / 1.0 s)',
    );
    expect(text).toMatch(
      /migration\s+100 runs {2}p50 1 ms {2}p95 2 ms {2}p99 797 ms {2}max 798 ms {2}2 × 23505, 1 timeouts/,
    );
  });

  it('says it in the MCP text', () => {
    expect(renderComparison(withWorkload)).toContain(
      `Workload during ${strategyC.name}: sign-up p99 30 ms → 797 ms (max 798 ms), 2 × 23505, 1 timeouts; committed writes 1,188 committed (653 during the migration), 640 missing (found instead: 640 in public.users_old)`,
    );
  });
});
