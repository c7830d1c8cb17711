/** Writing the report files `--report`, `--markdown` and `--junit` ask for; the renderers live in src/report. */
import { writeFile } from 'node:fs/promises';
import { comparisonDocuments, type ReportDocuments } from '../report/documents.js';
import type { Comparison } from '../result.js';
import { redactDeep } from '../util/secrets.js';

export interface ReportFiles {
  report?: string;
  markdown?: string;
  junit?: string;
}

/** Write the documents the flags name, in this order, saying where each went. */
export async function writeReportFiles(
  docs: ReportDocuments,
  files: ReportFiles,
  log: (m: string) => void,
): Promise<void> {
  const wanted = [
    { file: files.markdown, render: docs.markdown, what: 'markdown report' },
    { file: files.junit, render: docs.junit, what: 'JUnit report' },
    { file: files.report, render: docs.html, what: 'HTML report' },
  ];
  for (const w of wanted) {
    if (!w.file) continue;
    await writeFile(w.file, w.render());
    log(`${w.what}: ${w.file}`);
  }
}

/** A comparison's report files; every format is redacted, whoever built the comparison. */
export function writeReports(c: Comparison, files: ReportFiles, log: (m: string) => void): Promise<void> {
  return writeReportFiles(comparisonDocuments(redactDeep(c)), files, log);
}
