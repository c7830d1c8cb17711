/** The CLI and the MCP tools show one comparison table: `vers-db test --markdown`, db_test_strategies' text and its report file. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeReports } from '../../src/cli/report-files.js';
import { dbTestStrategies } from '../../src/tools/db-test-strategies.js';
import { comparison } from './fixtures.js';

const tableOf = (text: string) => text.split('\n').filter((l) => l.startsWith('|'));

describe('the comparison table', () => {
  let dir = '';
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is the same in the CLI markdown report, the MCP text and the MCP markdown report', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vdb-table-'));
    const file = join(dir, 'report.md');
    await writeReports(comparison, { markdown: file }, () => {});
    const cli = tableOf(await readFile(file, 'utf8'));
    const mcpText = tableOf(dbTestStrategies.render(comparison));
    const mcpReport = tableOf(
      dbTestStrategies.reports!(comparison, { args: {} as never, ctx: {} as never }).markdown!,
    );

    // A header, the alignment row and one row per strategy, with the measured values in them.
    expect(cli).toHaveLength(2 + comparison.results.length);
    expect(cli[0]).toContain('| Strategy | Time | Reads blocked | Writes blocked |');
    expect(cli[2]).toContain('| 2.4 s | 2.3 s | 2.2 s |');
    expect(mcpText).toEqual(cli);
    expect(mcpReport).toEqual(cli);
  });
});
