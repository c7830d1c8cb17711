/** Issue 15: the deploy rehearsal shows in every report where a strategy's details are. */
import { describe, expect, it } from 'vitest';
import { buildComparison } from '../../src/analysis/rank.js';
import { renderComparisonHtml } from '../../src/report/html.js';
import { renderComparisonMarkdown } from '../../src/report/markdown.js';
import { renderComparisonTable, renderStrategyResult } from '../../src/report/table.js';
import { renderComparisonText, renderStrategyText } from '../../src/report/text.js';
import { type DeployRehearsalResult, StrategyResultSchema } from '../../src/result.js';
import { strategyA, strategyB } from './fixtures.js';

const waits = (max: number) => ({ waits: 2, max_wait_ms: max, blocked_ms: max, timeouts: 0 });
const blocked: DeployRehearsalResult = {
  lock_timeout_ms: 1000,
  retries: 0,
  backoff_ms: 1000,
  budget_ms: 60_000,
  got_through: false,
  reason: 'statement 1 (line 1) timed out waiting for a lock (lock_timeout 1.0 s) with no retries',
  total_ms: 1048.7,
  statements: [{ index: 1, attempts: 1, lock_timeouts: 1, got_through: false }],
  attempts: [
    {
      first_statement: 1,
      last_statement: 1,
      attempt: 1,
      statement: 1,
      start_ms: 1.1,
      duration_ms: 1047.9,
      outcome: 'lock_timeout',
      error: 'canceling statement due to lock timeout',
      backoff_ms: 0,
      cleanup: [{ index: 'public.Users Email', dropped: true, tries: 2, error: null }],
      app_waits: waits(1033.1),
    },
  ],
  app_waits: waits(1033.1),
};
const through: DeployRehearsalResult = {
  ...blocked,
  retries: 5,
  got_through: true,
  reason: null,
  total_ms: 3010.6,
  statements: [{ index: 1, attempts: 2, lock_timeouts: 1, got_through: true }],
  attempts: [
    { ...blocked.attempts[0]!, backoff_ms: 1000 },
    { ...blocked.attempts[0]!, attempt: 2, start_ms: 2003.8, outcome: 'ok', error: null, cleanup: undefined },
  ],
};

const a = {
  ...strategyA,
  status: 'failed' as const,
  error: 'statement 1 (line 1): 55P03 …',
  deploy: blocked,
};
const b = { ...strategyB, deploy: through };

describe('deploy rehearsal in the reports', () => {
  it('is part of the result schema', () => {
    expect(StrategyResultSchema.parse(a).deploy).toEqual(blocked);
  });

  const c = buildComparison('base', 'local', [a, b], 'serial');

  it('rejects the strategy that did not get through, with the reason', () => {
    expect(c.rejected).toEqual([{ name: a.name, reason: `deploy rehearsal: ${blocked.reason}` }]);
    expect(c.recommendation?.reasons).toContain(
      'the deploy got through under lock_timeout 1.0 s in 2 tries (3.0 s)',
    );
  });

  it('terminal and markdown: each try with its application waits', () => {
    const detail = renderStrategyResult(b);
    expect(detail).toMatch(
      /Deploy rehearsal\n {2}got through in 3\.0 s, 2 tries \(lock_timeout 1\.0 s, 5 retries/,
    );
    expect(detail).toMatch(
      /try 1 of statement 1 at 1\.1 ms: lock timeout at statement 1 after 1\.0 s; the application waited 2× \(longest 1\.0 s.*dropped INVALID index public\.Users Email; retried after 1\.0 s/,
    );
    expect(detail).toMatch(/try 2 of statement 1 at 2\.0 s: ok/);
    expect(renderComparisonTable(c)).toMatch(/✗ .*: deploy rehearsal: statement 1 \(line 1\) timed out/);
    const md = renderComparisonMarkdown(c);
    expect(md).toMatch(/did not get through in 1\.0 s, 1 try/);
    expect(md).toMatch(/across all tries: the application waited 2×/);
  });

  it('MCP text: one line per strategy', () => {
    expect(renderStrategyText(b)).toMatch(
      /deploy rehearsal: got through in 3\.0 s, 2 tries .*; across all tries the application waited 2×/,
    );
    expect(renderComparisonText(c)).toMatch(/Deploy rehearsal of .*: did not get through in 1\.0 s, 1 try/);
  });

  it('HTML: a section per strategy, open when it did not get through', () => {
    const html = renderComparisonHtml(c);
    expect(html).toContain('<details class="deploy" open><summary>Deploy rehearsal: did not get through');
    expect(html).toContain('<details class="deploy"><summary>Deploy rehearsal: got through');
    expect(html).toContain('dropped INVALID index public.Users Email');
    expect(html).toContain('Across all tries: the application waited 2×');
  });
});
