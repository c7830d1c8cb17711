/** `vers-db run`: a vers-integration.yaml suite, with the same report flags as `test`. */
import type { Context } from '../core/context.js';
import { suiteDocuments } from '../report/documents.js';
import { renderSuiteRun } from '../report/suite.js';
import { runSuite } from '../suite/runner.js';
import { redactDeep } from '../util/secrets.js';
import { printResult, stderrProgress, useColor } from './output.js';
import { writeReportFiles } from './report-files.js';

export interface RunSuiteCommandOptions {
  file?: string;
  suite?: string;
  parallel?: boolean;
  rebuild?: boolean;
  /** --engine, as given (the suite file's `engine:` must agree). */
  engine?: string;
  json?: boolean;
  report?: string;
  markdown?: string;
  junit?: string;
  signal?: AbortSignal;
}

export async function runSuiteCommand(ctx: Context, o: RunSuiteCommandOptions): Promise<number> {
  const run = await runSuite(ctx, {
    file: o.file,
    suite: o.suite,
    parallel: o.parallel,
    rebuild: o.rebuild,
    engine: o.engine,
    signal: o.signal,
    onProgress: stderrProgress(),
  }).then(redactDeep);
  await writeReportFiles(suiteDocuments(run), o, ctx.log);
  printResult(o.json, run, (r) => renderSuiteRun(r, { color: useColor() }));
  return run.passed ? 0 : 1;
}
