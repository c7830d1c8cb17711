import { describe, expect, it } from 'vitest';
import { renderJUnit, renderSuiteJUnit } from '../../src/report/junit.js';
import { renderComparisonMarkdown, renderSuiteMarkdown } from '../../src/report/markdown.js';
import type { SuiteRunResult } from '../../src/suite/result.js';
import { comparison } from './fixtures.js';
import { findAll, parseXml } from './xml.js';

const run: SuiteRunResult = {
  file: 'vers-integration.yaml',
  mode: 'serial',
  passed: false,
  duration_ms: 9000,
  checkpoints: [],
  suites: [
    {
      name: 'migrations',
      pattern: 'migrations',
      checkpoint: 'production-baseline',
      comparison,
      passed: false,
      failures: ['new-table-swap: migration failed'],
      checks: [
        {
          branch: 'add-column-with-default',
          check: 'threshold p99',
          passed: false,
          detail: 'p99 12.0 ms vs 10.0 ms (+20%) exceeds +10%',
        },
        { branch: null, check: 'compare', passed: true, detail: 'baseline add-nullable-backfill found' },
      ],
    },
  ],
};

describe('markdown report', () => {
  const md = renderComparisonMarkdown(comparison);

  it('has a table row per strategy with measured values, and the recommendation with reasons', () => {
    const rows = md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Strategy'));
    expect(rows).toHaveLength(3);
    expect(rows[0]).toContain('| 2.4 s | 2.3 s | 2.2 s |');
    expect(rows[1]).toContain('| 5.3 s | 9 ms | 12 ms |');
    expect(rows[2]).toContain('| 88 ms | none | none |');
    expect(md).toContain('**Recommendation: `add-nullable-backfill`**');
    expect(md).toContain('- writes to public.users never waited more than 12 ms');
    expect(md).toContain('run serially');
    expect(md).toContain('❌ `new-table-swap`: statement 2 failed');
  });

  it('folds every strategy into <details> and escapes HTML from error messages', () => {
    expect(md.match(/<details>/g)).toHaveLength(3);
    expect(md.match(/<\/details>/g)).toHaveLength(3);
    // Inside fenced code GitHub shows text literally; everywhere else HTML must be escaped.
    const unrejected = renderComparisonMarkdown({ ...comparison, rejected: [] });
    const outsideCode = unrejected.replace(/```+text\n[\s\S]*?\n```+/g, '');
    expect(outsideCode).not.toContain('<script>');
    expect(outsideCode).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('renders a suite run with its checks and overall verdict', () => {
    const s = renderSuiteMarkdown(run);
    expect(s).toContain('FAILED');
    expect(s).toContain(
      '❌ `add-column-with-default` threshold p99: p99 12.0 ms vs 10.0 ms (+20%) exceeds +10%',
    );
    expect(s).toContain('✅ compare');
  });
});

describe('JUnit report', () => {
  it('parses back as XML with a testcase per branch and failures for failed migrations and integrity', () => {
    const doc = parseXml(renderJUnit([{ name: 'migrations', comparison }]));
    expect(doc.name).toBe('testsuites');
    const suites = findAll(doc, 'testsuite');
    expect(suites).toHaveLength(1);
    const cases = findAll(doc, 'testcase');
    expect(cases.map((c) => c.attrs.name)).toEqual([
      'add-column-with-default',
      'add-nullable-backfill',
      'new-table-swap',
    ]);
    expect(cases[0]!.attrs.time).toBe('2.437');
    const failed = cases.filter((c) => findAll(c, 'failure').length > 0);
    expect(failed.map((c) => c.attrs.name)).toEqual(['new-table-swap']);
    const failure = findAll(failed[0]!, 'failure')[0]!;
    // the error text with its <script> comes back intact after escaping
    expect(failure.attrs.message).toBe(
      'migration failed at statement 2: relation "users_v2" does not exist <script>alert(1)</script>',
    );
    expect(failure.text).toContain('validation failed: expected 100000 rows in users, found 0 & <none>');
    expect(failure.text).toContain('integrity: invalid index public.idx_users_email');
    expect(suites[0]!.attrs.failures).toBe('1');
    expect(doc.attrs.tests).toBe('3');
  });

  it('fails the testcase of a branch whose threshold failed, and adds suite-wide checks as a testcase', () => {
    const doc = parseXml(renderSuiteJUnit(run));
    const cases = findAll(doc, 'testcase');
    expect(cases).toHaveLength(4);
    const a = cases.find((c) => c.attrs.name === 'add-column-with-default')!;
    expect(findAll(a, 'failure')[0]!.attrs.message).toContain('threshold p99: p99 12.0 ms');
    const suiteChecks = cases.find((c) => c.attrs.name === 'suite checks')!;
    expect(findAll(suiteChecks, 'failure')).toHaveLength(0);
    expect(findAll(doc, 'testsuite')[0]!.attrs.failures).toBe('2');
    expect(doc.attrs.failures).toBe('2');
  });

  it("says in the testcase's output when a strategy ran as the server's superuser", () => {
    const asSuperuser = {
      ...comparison,
      results: [{ ...comparison.results[0]!, sandbox: { role: 'superuser' as const, warnings: [] } }],
    };
    const [testcase] = findAll(parseXml(renderJUnit([{ name: 'x', comparison: asSuperuser }])), 'testcase');
    const out = findAll(testcase!, 'system-out')[0]!.text;
    expect(out.split('\n')[0]).toMatch(/^add-column-with-default ran as the server's superuser/);
  });

  it('drops characters XML cannot carry', () => {
    const bad = {
      ...comparison,
      results: [{ ...comparison.results[2]!, error: `bell\u0007 and nul\u0000` }],
    };
    const xml = renderJUnit([{ name: 'x', comparison: bad }]);
    expect(() => parseXml(xml)).not.toThrow();
    expect(xml).not.toContain('\u0007');
  });
});
