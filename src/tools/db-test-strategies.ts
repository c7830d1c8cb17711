import * as z from 'zod';
import { testStrategies } from '../core/index.js';
import { renderComparisonText } from '../report/text.js';
import { ComparisonSchema } from '../result.js';
import { testWithVariants } from '../variants/run.js';
import { VariantsReportSchema } from '../variants/schema.js';
import { WorkloadSchema } from '../workload/input.js';
import { LongReaderSchema, MigrationKindSchema } from './db-migration-test.js';
import { defineTool } from './define.js';
import { DeployFields, runInputs } from './deploy-input.js';
import { EngineInput } from './engine-input.js';
import { commandInput, INPUT_LIMITS, migrationInput, nameInput } from './limits.js';
import { comparisonReports, slimComparison } from './reports.js';

const StrategySchema = z.union([
  migrationInput().describe('A .sql file path or inline SQL text'),
  z.object({
    migration: migrationInput().describe(
      'A .sql file path or inline SQL text; a shell command with kind "command"',
    ),
    name: nameInput().optional().describe('Label for this strategy; defaults to the file name'),
    kind: MigrationKindSchema,
  }),
]);

const InputSchema = z.object({
  baseline: nameInput().describe('Checkpoint tag every strategy branches from (made with db_checkpoint)'),
  engine: EngineInput,
  migrations: z
    .array(StrategySchema)
    .min(1)
    .max(INPUT_LIMITS.strategies)
    .describe('The strategies to compare, one branch each, e.g. ["migrations/a.sql", "migrations/b.sql"]'),
  validation: commandInput()
    .optional()
    .describe('Shell command run against each branch after its migration; exit code 0 means passed'),
  parallel: z
    .number()
    .int()
    .min(1)
    .max(16)
    .optional()
    .describe(
      'How many strategies run at once (default: 1 on the local backend, where parallel runs compete for CPU and skew timings; all at once on Vers VMs)',
    ),
  long_reader_ms: LongReaderSchema,
  ...DeployFields,
  workload: WorkloadSchema,
  keep_branches: z.boolean().default(false).describe('Keep the branches afterwards for db_compare_branches'),
  variants: z
    .boolean()
    .default(false)
    .describe(
      "Also test the catalogue's safer rewrites of the migrations (see db_suggest_variants) beside them; every " +
        'strategy after the first (the original) is checked to end in its schema and data; one that does not is not recommended',
    ),
  superuser: z
    .boolean()
    .default(false)
    .describe(
      "Run the migrations and validation as the server's superuser instead of each branch's own role " +
        '(only for migrations that truly need it: untrusted extensions, server-wide objects); the result says so',
    ),
});

export const dbTestStrategies = defineTool({
  name: 'db_test_strategies',
  title: 'Compare migration strategies',
  description:
    'Run several alternative migrations (strategies) for the same change, each on its own branch of the ' +
    'baseline checkpoint, measure each (time, locks, blocking of application reads/writes, rewrites, ' +
    'bloat, integrity) and recommend the safest, with reasons in plain words. The baseline is never ' +
    'changed; branches are removed unless keep_branches. Use it to choose between approaches, e.g. ' +
    'ALTER TABLE ... DEFAULT vs add-nullable-then-backfill. A strategy that is a shell command needs ' +
    '{migration, kind: "command"}. On a MySQL/MariaDB checkpoint the strategies are MySQL SQL (workload, deploy ' +
    'rehearsal, long reader and variants are PostgreSQL-only for now).',
  inputSchema: InputSchema,
  outputSchema: ComparisonSchema.extend({ variants: z.array(VariantsReportSchema).optional() }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  handler: (args, { ctx, signal, onProgress }) =>
    (args.variants ? testWithVariants : testStrategies)(ctx, {
      baseline: args.baseline,
      engine: args.engine,
      migrations: args.migrations.map((m) => (typeof m === 'string' ? { migration: m } : m)),
      validation: args.validation,
      parallel: args.parallel,
      keepBranches: args.keep_branches,
      ...runInputs(args),
      signal,
      onProgress,
      createdBy: 'mcp db_test_strategies',
    }),
  render: renderComparisonText,
  reports: (c) => comparisonReports(c),
  structured: slimComparison,
  longResults: true,
});
