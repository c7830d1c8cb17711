import * as z from 'zod';
import { testMigration } from '../core/index.js';
import { renderStrategyText } from '../report/text.js';
import { StrategyResultSchema } from '../result.js';
import { WorkloadSchema } from '../workload/input.js';
import { defineTool } from './define.js';
import { DeployFields, runInputs } from './deploy-input.js';
import { EngineInput } from './engine-input.js';
import { commandInput, migrationInput, nameInput } from './limits.js';
import { comparisonReports, slimStrategy } from './reports.js';

export const MigrationKindSchema = z
  .enum(['auto', 'file', 'sql', 'command'])
  .default('auto')
  .describe(
    'How to read `migration`: auto (an existing path or *.sql is a file, anything else is SQL text, ' +
      'which must parse), file, sql, or command: a shell command (an ETL job, `npm run migrate`) runs only ' +
      'with kind "command", never as a fallback for SQL that does not parse',
  );

/** Shared with db_test_strategies: the lock-queue trap, reproduced on purpose. */
export const LongReaderSchema = z
  .number()
  .int()
  .min(1)
  .max(600_000)
  .optional()
  .describe(
    'Simulate a slow query already reading every table for this many ms when the migration starts. ' +
      'Even a brief ALTER then waits behind it, and all new reads and writes queue behind the ALTER: ' +
      'this measures the lock-queue pile-up behind most migration outages',
  );

const InputSchema = z.object({
  baseline: nameInput().describe('Checkpoint tag to branch from (made with db_checkpoint)'),
  engine: EngineInput,
  migration: migrationInput().describe(
    'The migration: a .sql file path (relative to the project) or inline SQL text; with kind "command", ' +
      'a shell command such as "npm run migrate" (it gets PGHOST/PGPORT/PGDATABASE/DATABASE_URL of the branch)',
  ),
  name: nameInput().optional().describe('Label for the result and the branch; defaults to the file name'),
  kind: MigrationKindSchema,
  validation: commandInput()
    .optional()
    .describe('Shell command run against the branch after the migration; exit code 0 means passed'),
  collect_metrics: z
    .boolean()
    .default(true)
    .describe('Measure locks, blocking of reads/writes, rewrites, bloat and integrity while it runs'),
  long_reader_ms: LongReaderSchema,
  ...DeployFields,
  workload: WorkloadSchema,
  keep_branch: z
    .boolean()
    .default(false)
    .describe('Keep the branch afterwards for inspection (db_compare_branches); by default it is removed'),
  superuser: z
    .boolean()
    .default(false)
    .describe(
      "Run the migration and validation as the server's superuser instead of the branch's own role " +
        '(only for migrations that truly need it: untrusted extensions, server-wide objects); the result says so',
    ),
});

export const dbMigrationTest = defineTool({
  name: 'db_migration_test',
  title: 'Test one migration on a branch',
  description:
    'Branch the baseline checkpoint, run one migration on the branch statement by statement, and measure ' +
    'what it did: duration, locks held, how long application reads and writes were blocked, table ' +
    'rewrites, bloat and data integrity. The baseline and the source database are never changed; the ' +
    'branch is removed afterwards unless keep_branch. A migration (or validation) that fails comes back ' +
    'flagged as an error together with the full result: the failing statement, its error and the ' +
    'measurements up to that point. SQL that does not parse is an input error with its line and column. ' +
    'On the local backend the migration runs as a role that owns the branch and nothing else (superuser: true to opt out). ' +
    'A shell-command migration runs only with kind: "command"; it and validation are trusted code that runs ' +
    'on this machine (on Vers, in the VM).',
  inputSchema: InputSchema,
  outputSchema: StrategyResultSchema,
  // Shell commands (command migrations, validation) can do anything, so this cannot claim to be harmless.
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  handler: (args, { ctx, signal, onProgress }) =>
    testMigration(ctx, {
      baseline: args.baseline,
      engine: args.engine,
      migration: args.migration,
      name: args.name,
      kind: args.kind,
      validation: args.validation,
      collectMetrics: args.collect_metrics,
      keepBranch: args.keep_branch,
      ...runInputs(args),
      signal,
      onProgress,
      createdBy: 'mcp db_migration_test',
    }),
  render: renderStrategyText,
  reports: (r, { args, ctx }) =>
    comparisonReports(
      {
        baseline: args.baseline,
        ...(r.engine ? { engine: r.engine } : {}),
        backend: ctx.backendKind,
        results: [r],
        recommendation: null,
      },
      `migration-${r.name}`,
    ),
  structured: slimStrategy,
  failure: (r) =>
    r.deploy && !r.deploy.got_through
      ? `the deploy rehearsal did not get through on branch ${r.branch}: ${r.deploy.reason} (the baseline is unchanged)`
      : r.status === 'failed'
        ? `the migration test failed on branch ${r.branch} (the baseline is unchanged)`
        : null,
});
