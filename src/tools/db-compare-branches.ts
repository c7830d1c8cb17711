import * as z from 'zod';
import { compareBranches } from '../core/index.js';
import { renderBranchComparisonText } from '../report/branch-comparison.js';
import { BranchComparisonSchema } from '../result.js';
import { defineTool } from './define.js';
import { EngineInput } from './engine-input.js';
import { INPUT_LIMITS, nameInput, queryInput } from './limits.js';

const InputSchema = z.object({
  branches: z
    .array(nameInput())
    .min(1)
    .max(INPUT_LIMITS.branches)
    .describe('Branches to compare (kept with keep_branch / keep_branches; see db_branches action "list")'),
  engine: EngineInput,
  comparison_query: queryInput()
    .optional()
    .describe(
      'SQL run on every branch in a READ ONLY transaction with a statement timeout, as a role that can only read that branch (local backend), e.g. ' +
        '"SELECT count(*) FROM users WHERE email IS NULL"; statements that write are refused',
    ),
  timeout_ms: z
    .number()
    .int()
    .min(1)
    .max(600_000)
    .optional()
    .describe('Statement timeout for comparison_query in milliseconds (default 30000)'),
  max_rows: z.number().int().min(1).max(10_000).optional().describe('Rows returned per branch (default 200)'),
});

export const dbCompareBranches = defineTool({
  name: 'db_compare_branches',
  title: 'Compare branches',
  description:
    'Compare kept branches with each other and with the checkpoint they came from: exact row counts per ' +
    'table, schema (catalog) differences, and optionally the result of one read-only query on each ' +
    'branch. Changes nothing.',
  inputSchema: InputSchema,
  outputSchema: BranchComparisonSchema,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  handler: (args, { ctx, signal }) =>
    compareBranches(ctx, {
      branches: args.branches,
      engine: args.engine,
      query: args.comparison_query,
      timeoutMs: args.timeout_ms,
      maxRows: args.max_rows,
      signal,
    }),
  render: renderBranchComparisonText,
  longResults: true,
});
