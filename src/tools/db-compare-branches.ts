import * as z from 'zod';
import { compareBranches } from '../core/index.js';
import { type BranchComparison, BranchComparisonSchema } from '../result.js';
import { defineTool } from './define.js';
import { textTable } from './format.js';
import { INPUT_LIMITS, nameInput, queryInput } from './limits.js';

const InputSchema = z.object({
  branches: z
    .array(nameInput())
    .min(1)
    .max(INPUT_LIMITS.branches)
    .describe('Branches to compare (kept with keep_branch / keep_branches; see db_branches action "list")'),
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

function renderBranchComparison(c: BranchComparison): string {
  const out = [`compared ${c.branches.join(', ')} against checkpoint ${c.reference}`];
  // The checkpoint's column is named after it ("checkpoint:<tag>"); the branches follow.
  const sample = Object.values(c.row_counts)[0] ?? {};
  const reference = Object.keys(sample).find((k) => k.startsWith('checkpoint')) ?? 'checkpoint';
  const columns = [reference, ...c.branches];
  const changed = Object.entries(c.row_counts).filter(([, counts]) =>
    c.branches.some((b) => counts[b] !== counts[reference]),
  );
  if (changed.length > 0) {
    out.push(
      textTable(
        ['relation', ...columns],
        changed.map(([relation, counts]) => [relation, ...columns.map((k) => String(counts[k] ?? '-'))]),
      ),
    );
  } else {
    out.push(`row counts: identical to the checkpoint (${Object.keys(c.row_counts).length} tables)`);
  }
  for (const [branch, diffs] of Object.entries(c.schema_differences)) {
    out.push(`schema of ${branch}: ${diffs.length === 0 ? 'unchanged' : diffs.slice(0, 10).join('; ')}`);
  }
  for (const [branch, r] of Object.entries(c.query_results)) {
    if (r.error) {
      out.push(`query on ${branch}: ERROR ${r.error}`);
      continue;
    }
    const preview = r.rows
      .slice(0, 5)
      .map((row) => JSON.stringify(row))
      .join(' ');
    out.push(
      `query on ${branch}: ${r.row_count} rows${r.truncated ? ' (truncated)' : ''} ${preview}`.trimEnd(),
    );
  }
  return out.join('\n');
}

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
      query: args.comparison_query,
      timeoutMs: args.timeout_ms,
      maxRows: args.max_rows,
      signal,
    }),
  render: renderBranchComparison,
  longResults: true,
});
