/** `vers-db run`: a vers-integration.yaml suite, with the same report flags as `test`. */
import { writeFile } from 'node:fs/promises';
import type { Context } from '../core/context.js';
import { renderSuiteHtml } from '../report/html.js';
import { renderSuiteJUnit } from '../report/junit.js';
import { renderSuiteMarkdown } from '../report/markdown.js';
import { renderSuiteRun } from '../report/suite.js';
import { runSuite } from '../suite/runner.js';
import { redactDeep } from '../util/secrets.js';
import { printJson, printText, stderrProgress, useColor } from './output.js';

export interface RunSuiteCommandOptions {
  file?: string;
  suite?: string;
  parallel?: boolean;
  rebuild?: boolean;
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
    signal: o.signal,
    onProgress: stderrProgress(),
  }).then(redactDeep);
  if (o.markdown) {
    await writeFile(o.markdown, renderSuiteMarkdown(run));
    ctx.log(`markdown report: ${o.markdown}`);
  }
  if (o.junit) {
    await writeFile(o.junit, renderSuiteJUnit(run));
    ctx.log(`JUnit report: ${o.junit}`);
  }
  if (o.report) {
    await writeFile(o.report, renderSuiteHtml(run));
    ctx.log(`HTML report: ${o.report}`);
  }
  if (o.json) printJson(run);
  else printText(renderSuiteRun(run, { color: useColor() }));
  return run.passed ? 0 : 1;
}
