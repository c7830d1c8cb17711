/** Writing the report files `--report`, `--markdown` and `--junit` ask for; the renderers live in src/report. */
import { writeFile } from 'node:fs/promises';
import type { Comparison } from '../result.js';
import { redactDeep } from '../util/secrets.js';

export interface ReportFiles {
  report?: string;
  markdown?: string;
  junit?: string;
}

/** Write the report files asked for; the renderers live in src/report. */
export async function writeReports(
  c: Comparison,
  files: ReportFiles,
  log: (m: string) => void,
): Promise<void> {
  c = redactDeep(c); // every report format, whoever built the comparison
  if (files.markdown) {
    const { renderComparisonMarkdown } = await import('../report/markdown.js');
    await writeFile(files.markdown, renderComparisonMarkdown(c));
    log(`markdown report: ${files.markdown}`);
  }
  if (files.junit) {
    const { renderJUnit } = await import('../report/junit.js');
    await writeFile(files.junit, renderJUnit([{ name: `vers-db test ${c.baseline}`, comparison: c }]));
    log(`JUnit report: ${files.junit}`);
  }
  if (files.report) {
    const { renderHtml } = await import('../report/html.js');
    await writeFile(files.report, renderHtml(c));
    log(`HTML report: ${files.report}`);
  }
}
