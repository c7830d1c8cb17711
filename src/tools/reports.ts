/**
 * What the test tools hand to the registration loop besides their result: the report documents
 * (the CLI's --report/--markdown/--junit, same renderers) and the result slimmed for
 * structuredContent. The raw lock intervals and probe waits (`timeline`) can run to thousands of
 * entries per strategy; they are drawn in the HTML report and left out of structuredContent, so a
 * large suite's result stays far below Claude Code's 25 k-token cap (test/mcp/results.test.ts).
 */
import { comparisonDocuments, type ReportDocuments, suiteDocuments } from '../report/documents.js';
import type { Comparison, ProbeStats, StrategyResult } from '../result.js';
import type { SuiteRunResult } from '../suite/result.js';
import type { ToolReports } from './define.js';

/** Statement text kept in structuredContent. */
const SQL_CHARS = 500;

/** A table worth listing: its probes waited, failed, deadlocked, or could not run at all. */
const notable = (s: ProbeStats) =>
  s.max_wait_ms > 0 || s.timeouts > 0 || s.errors > 0 || (s.deadlocks ?? 0) > 0 || s.status === 'unmeasured';

/**
 * Without the timeline, with `blocking.tables` cut to the tables whose reads or writes waited or
 * could not be measured (hundreds of idle tables would fill the result with zeros; the totals in
 * `blocking.reads`/`writes` still count every probe, and the reports list every table), and with
 * statement text cut to its start.
 */
export function slimStrategy(r: StrategyResult): StrategyResult {
  const { timeline: _, ...rest } = r;
  const tables = Object.entries(r.blocking.tables).filter(([, t]) => notable(t.reads) || notable(t.writes));
  return {
    ...rest,
    // A data-loading statement can be megabytes of VALUES; its start is enough to recognise it.
    statements: r.statements.map((s) =>
      s.sql.length > SQL_CHARS
        ? { ...s, sql: `${s.sql.slice(0, SQL_CHARS)}… (${s.sql.length} characters)` }
        : s,
    ),
    blocking: { ...r.blocking, tables: Object.fromEntries(tables) },
  };
}

export const slimComparison = (c: Comparison): Comparison => ({ ...c, results: c.results.map(slimStrategy) });

export const slimSuiteRun = (run: SuiteRunResult): SuiteRunResult => ({
  ...run,
  suites: run.suites.map((s) => ({ ...s, comparison: slimComparison(s.comparison) })),
});

/** Every report document, rendered, under the name the files get. */
const allOf = (name: string, docs: ReportDocuments): ToolReports => ({
  name,
  html: docs.html(),
  markdown: docs.markdown(),
  junit: docs.junit(),
});

export const comparisonReports = (c: Comparison, name = `test-${c.baseline}`): ToolReports =>
  allOf(name, comparisonDocuments(c));

export const suiteReports = (run: SuiteRunResult): ToolReports =>
  allOf(`suite-${run.file.replace(/^.*\//, '').replace(/\.ya?ml$/, '')}`, suiteDocuments(run));
