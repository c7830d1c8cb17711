import { describe, expect, it } from 'vitest';
import { formatMs } from '../../src/report/format.js';
import { renderComparisonTable, renderStrategyResult } from '../../src/report/table.js';
import { comparison, strategyA, strategyB, strategyC } from './fixtures.js';

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`);

function rowOf(text: string, name: string): string {
  const line = text.split('\n').find((l) => l.includes(`│ ${name} `));
  if (!line) throw new Error(`no row for ${name} in:\n${text}`);
  return line;
}

describe('formatMs', () => {
  it('uses ms below a second and seconds with one decimal above', () => {
    expect(formatMs(0)).toBe('0 ms');
    expect(formatMs(12)).toBe('12 ms');
    expect(formatMs(999.4)).toBe('999 ms');
    expect(formatMs(2437)).toBe('2.4 s');
    expect(formatMs(125_000)).toBe('2 min 5 s');
  });
});

describe('renderComparisonTable', () => {
  const text = renderComparisonTable(comparison);

  it('has one row per strategy with its measured time and blocking', () => {
    expect(text).toContain('Strategy');
    expect(text).toContain('Reads blocked');
    expect(text).toContain('Writes blocked');
    const a = rowOf(text, 'add-column-with-default');
    expect(a).toContain('2.4 s'); // duration_ms 2437
    expect(a).toContain('2.3 s'); // reads.blocked_ms 2251
    expect(a).toContain('2.2 s'); // writes.blocked_ms 2248
    expect(a).toContain('AccessExclusiveLock');
    const b = rowOf(text, 'add-nullable-backfill');
    expect(b).toContain('9 ms');
    expect(b).toContain('12 ms');
    expect(b).toContain('100,000 / 49%');
    expect(b).toContain('✓ rec');
  });

  it('shows zero blocking as "none" and a failed strategy as rejected with its reason', () => {
    const c = rowOf(text, 'new-table-swap');
    expect(c).toMatch(/│ none\s+│ none\s+│/);
    expect(c).toContain('✗');
    expect(text).toContain('failed at statement 2');
    expect(text).toContain('new-table-swap: statement 2 failed');
  });

  it('states the recommendation, its reasons and whether the run was serial', () => {
    expect(text).toContain('Recommendation: add-nullable-backfill');
    expect(text).toContain('  - writes to public.users never waited more than 12 ms');
    expect(text).toContain('run serially');
    expect(renderComparisonTable({ ...comparison, mode: 'parallel' })).toContain('run in parallel');
  });

  it('uses color only when asked', () => {
    expect(text).not.toMatch(ANSI);
    expect(renderComparisonTable(comparison, { color: true })).toMatch(ANSI);
  });

  it('says so when nothing can be recommended', () => {
    const none = renderComparisonTable({ ...comparison, recommendation: null });
    expect(none).toContain('Recommendation: none');
  });
});

describe('renderStrategyResult', () => {
  it('lists statements with durations, locks, blocking per table, rewrites and bloat', () => {
    const text = renderStrategyResult(strategyA);
    expect(text).toContain('#1 line 2');
    expect(text).toContain('ALTER TABLE users ADD COLUMN premium_level INTEGER DEFAULT 0 NOT NULL');
    expect(text).toContain(
      'AccessExclusiveLock public.users  2.3 s (from 3 ms, statement 1, 2 session(s) waited on it)',
    );
    expect(text).toContain(
      'public.users: reads 2.3 s, max wait 2.2 s; writes 2.2 s, max wait 2.2 s, 1 timed out',
    );
    expect(text).toContain('Rewrites: public.users');
    expect(text).toContain('14.0 MB → 15.5 MB');
    expect(text).toContain('+ column public.users.premium_level');
  });

  it('shows statement errors, integrity problems and validation output', () => {
    const text = renderStrategyResult(strategyC);
    expect(text).toContain('failed in 88 ms');
    expect(text).toContain('error 42804: column "id" is of type uuid');
    expect(text).toContain('invalid index public.idx_users_email');
    expect(text).toContain('Validation: failed');
    expect(text).toContain('| expected 100000 rows in users');
    expect(renderStrategyResult(strategyB)).toContain('Validation: passed');
  });
});
