import * as z from 'zod';
import { InvalidInputError } from '../errors.js';
import { ComparisonSchema } from '../result.js';
import { defineTool } from './define.js';
import { renderComparison } from './format.js';

const InputSchema = z.object({
  file: z.string().optional().describe('Suite file, relative to the project (default vers-integration.yaml)'),
  suite: z.string().optional().describe('Run only this suite (a key under `tests:`); default all suites'),
  parallel: z.boolean().optional().describe('Run the branches of a suite at the same time'),
});

// Placeholder until src/suite/ exports runSuite(ctx, {file, suite, parallel, signal, onProgress}).
const OutputSchema = z.object({
  file: z.string(),
  suites: z.array(z.object({ suite: z.string(), comparison: ComparisonSchema })),
});

export const dbRunSuite = defineTool({
  name: 'db_run_suite',
  title: 'Run a test suite file',
  description:
    'Run the suites of a vers-integration.yaml file: set up, checkpoint, run every branch (migration, ETL ' +
    "job or query benchmark) and compare them against the file's thresholds. Returns one comparison per " +
    'suite. Setup and branch commands are shell commands run on this machine.',
  inputSchema: InputSchema,
  outputSchema: OutputSchema,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  async handler() {
    throw new InvalidInputError('suites are not available yet in this build', {
      hint: "test the suite's migration files with db_test_strategies instead",
    });
  },
  render: (r) => r.suites.map((s) => `suite ${s.suite}\n${renderComparison(s.comparison)}`).join('\n\n'),
});
