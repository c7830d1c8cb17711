import * as z from 'zod';
import { renderSuiteRun } from '../report/suite.js';
import { SuiteRunResultSchema } from '../suite/result.js';
import { runSuite } from '../suite/runner.js';
import { defineTool } from './define.js';
import { EngineInput } from './engine-input.js';
import { nameInput, pathInput } from './limits.js';
import { slimSuiteRun, suiteReports } from './reports.js';

const InputSchema = z.object({
  file: pathInput()
    .optional()
    .describe('Suite file, relative to the project (default vers-integration.yaml)'),
  suite: nameInput().optional().describe('Run only this suite (a key under `tests:`); default all suites'),
  parallel: z
    .union([z.boolean(), z.number().int().min(1).max(16)])
    .optional()
    .describe(
      'Run the branches of a suite at the same time (true: up to 4, or a number); default one after another',
    ),
  rebuild: z
    .boolean()
    .default(false)
    .describe(
      "Rebuild the suite's source database even if it holds objects its setup did not create (they are lost)",
    ),
  engine: EngineInput.describe(
    'The engine to run the suite on ("postgres" or "mysql"); default the file\'s `engine:`, else the server\'s',
  ),
});

export const dbRunSuite = defineTool({
  name: 'db_run_suite',
  title: 'Run a test suite file',
  description:
    'Run the suites of a vers-integration.yaml file: set up, checkpoint, run every branch (migration, ETL ' +
    "job or query benchmark) and compare them against the file's thresholds. Returns one comparison per " +
    'suite, whether it passed, and why not. Setup and branch commands are shell commands run on this machine.',
  inputSchema: InputSchema,
  outputSchema: SuiteRunResultSchema,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  handler: (args, { ctx, signal, onProgress }) =>
    runSuite(ctx, {
      file: args.file,
      suite: args.suite,
      parallel: args.parallel,
      rebuild: args.rebuild,
      engine: args.engine,
      signal,
      onProgress,
    }),
  render: (r) => renderSuiteRun(r),
  reports: suiteReports,
  structured: slimSuiteRun,
  longResults: true,
  failure: (r) =>
    r.passed
      ? null
      : `suite run failed: ${r.suites
          .flatMap((s) => s.failures.map((f) => `${s.name}: ${f}`))
          .slice(0, 5)
          .join('; ')}`,
});
