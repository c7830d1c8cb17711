/**
 * Reports say when they are about MySQL/MariaDB (and stay as they were for PostgreSQL): the
 * comparison's meta line in every format, the checkpoint line, the branch comparison, and bloat
 * as growth in size where InnoDB has no dead-row count.
 */
import { describe, expect, it } from 'vitest';
import { buildComparison } from '../../src/analysis/rank.js';
import { blankResult } from '../../src/core/settle.js';
import { renderBranchComparison } from '../../src/report/branch-comparison.js';
import { renderCheckpoint } from '../../src/report/checkpoint.js';
import { describeBloat } from '../../src/report/format.js';
import { renderComparisonHtml } from '../../src/report/html.js';
import { renderComparisonMarkdown } from '../../src/report/markdown.js';
import { renderComparisonTable } from '../../src/report/table.js';
import { renderComparisonText } from '../../src/report/text.js';
import type { CheckpointReport, StrategyResult } from '../../src/result.js';

const mysqlResult = (name: string): StrategyResult => ({
  ...blankResult(name, `${name}-abc123`),
  engine: 'mysql',
  bloat: {
    tables: [
      { relation: 'app.items', size_before: 1 << 20, size_after: 3 << 20, dead_tuples: null, dead_pct: null },
    ],
  },
});

describe('engine in reports', () => {
  it('a MySQL comparison says so in every format; a PostgreSQL one does not', () => {
    const my = buildComparison('base', 'local', [mysqlResult('a'), mysqlResult('b')], 'serial');
    expect(my.engine).toBe('mysql');
    expect(renderComparisonText(my)).toContain('Baseline base (MySQL/MariaDB, local backend, 2 strategies)');
    expect(renderComparisonMarkdown(my)).toContain('backend local · engine MySQL/MariaDB');
    expect(renderComparisonTable(my, { color: false })).toContain('backend local · engine MySQL/MariaDB');
    expect(renderComparisonHtml(my)).toContain('engine MySQL/MariaDB');
    const pg = buildComparison('base', 'local', [blankResult('a', 'a-1')], 'serial');
    expect(pg.engine).toBeUndefined();
    expect(renderComparisonMarkdown(pg)).not.toContain('engine');
  });

  it('bloat on MySQL is growth in size (InnoDB counts no dead rows)', () => {
    expect(describeBloat(mysqlResult('a'))).toBe('+2.0 MB app.items');
  });

  it('checkpoint and branch comparison name MySQL/MariaDB', () => {
    const ck: CheckpointReport = {
      status: 'checkpoint_created',
      tag: 'base',
      engine: 'mysql',
      backend: 'local',
      id: 'mysql/ckpt/base',
      source: 'app',
      database: 'app',
      strategy: 'copy',
      duration_ms: 1200,
      created_at: '2026-12-02T00:00:00Z',
      tables: null,
      next: [],
    };
    expect(renderCheckpoint(ck)).toMatch(
      /^checkpoint base created in .* \(MySQL\/MariaDB, local, copy\) from app/,
    );
    const out = renderBranchComparison({
      branches: ['a'],
      engine: 'mysql',
      reference: 'base',
      query: null,
      query_results: {},
      row_counts: { 'app.items': { 'checkpoint:base': 3, a: 3 } },
      schema_differences: { a: [] },
    });
    expect(out.split('\n')[0]).toBe('Engine: MySQL/MariaDB');
  });
});
