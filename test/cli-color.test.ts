/** Output into a pipe or with NO_COLOR carries no escape codes: not in tables, not in their borders. */
import { afterEach, describe, expect, it } from 'vitest';
import { useColor } from '../src/cli/output.js';
import { renderBranchComparison } from '../src/report/branch-comparison.js';
import { renderBranchList } from '../src/report/branch-list.js';
import { renderCheckpoint } from '../src/report/checkpoint.js';
import { renderComparisonTable } from '../src/report/table.js';
import { comparison } from './report/fixtures.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: the escape character is what is looked for
const ESCAPE = /\u001b\[/;

describe('plain output', () => {
  it('renders every CLI table without escape codes', () => {
    const outputs = [
      renderComparisonTable(comparison, { color: false }),
      renderCheckpoint({
        tag: 'base',
        id: 'x',
        backend: 'local',
        source: 'app',
        strategy: 'file_copy',
        duration_ms: 12,
        tables: [{ relation: 'public.users', rows: 10, total_bytes: 8192 }],
        next: ['vers-db test base a.sql'],
      } as Parameters<typeof renderCheckpoint>[0]),
      renderBranchList({
        checkpoints: [
          {
            tag: 'base',
            backend: 'local',
            id: 'x',
            strategy: 'file_copy',
            created_at: 'now',
            state: 'ready',
          },
        ],
        branches: [
          {
            name: 'b',
            checkpoint: 'base',
            backend: 'local',
            id: 'y',
            created_by: 'cli test',
            state: 'ready',
          },
        ],
      } as unknown as Parameters<typeof renderBranchList>[0]),
      renderBranchComparison({
        reference: 'base',
        branches: ['b'],
        row_counts: { 'public.users': { 'checkpoint:base': 10, b: 10 } },
        schema_differences: { b: [] },
        query: 'select 1 as one',
        query_results: {
          b: { columns: ['one'], rows: [{ one: 1 }], row_count: 1, truncated: false, error: null },
        },
      } as unknown as Parameters<typeof renderBranchComparison>[0]),
    ];
    for (const out of outputs) {
      expect(out).toContain('│');
      expect(out).not.toMatch(ESCAPE);
    }
  });
});

describe('useColor', () => {
  const tty = process.stdout.isTTY;
  const noColor = process.env.NO_COLOR;
  afterEach(() => {
    process.stdout.isTTY = tty;
    if (noColor === undefined) delete process.env.NO_COLOR;
    else process.env.NO_COLOR = noColor;
  });

  it('is on for a terminal, off for a pipe and off with NO_COLOR', () => {
    delete process.env.NO_COLOR;
    process.stdout.isTTY = true;
    expect(useColor()).toBe(true);
    process.env.NO_COLOR = '1';
    expect(useColor()).toBe(false);
    delete process.env.NO_COLOR;
    process.stdout.isTTY = false;
    expect(useColor()).toBe(false);
  });
});
