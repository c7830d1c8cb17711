/**
 * The report documents of a result, by format: the HTML report with the lock timelines, the
 * markdown for a pull request, JUnit XML for CI. The CLI writes the ones its flags ask for
 * (`--report`, `--markdown`, `--junit`); the MCP tools write all three beside their result. Each
 * is rendered only when asked for.
 */
import type { Comparison } from '../result.js';
import type { SuiteRunResult } from '../suite/result.js';
import { renderComparisonHtml, renderSuiteHtml } from './html.js';
import { renderJUnit, renderSuiteJUnit } from './junit.js';
import { renderComparisonMarkdown, renderSuiteMarkdown } from './markdown.js';

export const REPORT_FORMATS = ['html', 'markdown', 'junit'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export type ReportDocuments = Record<ReportFormat, () => string>;

export function comparisonDocuments(c: Comparison): ReportDocuments {
  return {
    html: () => renderComparisonHtml(c),
    markdown: () => renderComparisonMarkdown(c),
    junit: () => renderJUnit([{ name: `vers-db test ${c.baseline}`, comparison: c }]),
  };
}

export function suiteDocuments(run: SuiteRunResult): ReportDocuments {
  return {
    html: () => renderSuiteHtml(run),
    markdown: () => renderSuiteMarkdown(run),
    junit: () => renderSuiteJUnit(run),
  };
}
