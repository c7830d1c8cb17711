import * as z from 'zod';
import { suggestForMigrations } from '../variants/run.js';
import { VariantsReportSchema } from '../variants/schema.js';
import { defineTool } from './define.js';
import { INPUT_LIMITS, nameInput, pathInput } from './limits.js';

const InputSchema = z.object({
  migrations: z
    .array(pathInput())
    .min(1)
    .max(INPUT_LIMITS.strategies)
    .describe('The .sql migration files to rewrite, e.g. ["migrations/0042_add_index.sql"]'),
  baseline: nameInput()
    .optional()
    .describe(
      'Checkpoint whose catalog tells what the parse tree cannot: partitions, primary keys (for batches), ' +
        'whether a default is volatile, whether a type change rewrites. Without it those rewrites are not tried.',
    ),
});

const OutputSchema = z.object({ reports: z.array(VariantsReportSchema) });

export const dbSuggestVariants = defineTool({
  name: 'db_suggest_variants',
  title: 'Suggest safer variants of a migration',
  description:
    'Recognise risky forms in a migration from its parse tree (CREATE INDEX without CONCURRENTLY, ADD FOREIGN ' +
    'KEY / CHECK validated at once, ADD UNIQUE / PRIMARY KEY, SET NOT NULL, one-statement backfills, volatile-default ADD COLUMN, indexes on ' +
    'partitioned tables, type changes that rewrite) and write the known safer rewrites as .sql files under the ' +
    "vers-db state directory (never beside the project's migrations), with what changed and why. Nothing runs on a " +
    'database except catalog reads on a throwaway branch when a baseline is given. Measure them with ' +
    'db_test_strategies {variants: true}.',
  inputSchema: InputSchema,
  outputSchema: OutputSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  handler: async (args, { ctx, signal }) => ({
    reports: await suggestForMigrations(ctx, {
      migrations: args.migrations.map((m) => ({ migration: m, kind: 'file' })),
      baseline: args.baseline,
      signal,
    }),
  }),
  render: (r) =>
    r.reports
      .map((x) =>
        [
          `${x.migration}: ${x.variants.length ? x.variants.map((v) => `${v.name} → ${v.file}`).join(', ') : 'no safer rewrite in the catalogue'}`,
          ...x.variants.flatMap((v) =>
            v.changes.map((c) => `  statement ${c.statement}: ${c.what} (${c.why})`),
          ),
          ...x.not_rewritten.map((n) => `  statement ${n.statement}: not rewritten: ${n.reason}`),
        ].join('\n'),
      )
      .join('\n'),
});
