/** The variants report as zod (the MCP tools' output schemas). */
import * as z from 'zod';

export const VariantsReportSchema = z.object({
  migration: z.string(),
  catalog: z
    .boolean()
    .describe("whether the checkpoint's catalog was read (partitions, keys, volatility, types)"),
  variants: z.array(
    z.object({
      name: z.string().describe('strategy name: <migration>.<rewrite> or <migration>.all'),
      rewrites: z.array(z.string()),
      file: z.string().describe('where the variant was written (under the state directory)'),
      sql: z.string().optional(),
      changes: z.array(
        z.object({
          statement: z.number().int(),
          line: z.number().int(),
          rewrite: z.string(),
          what: z.string(),
          why: z.string(),
        }),
      ),
      volatile_columns: z
        .array(z.string())
        .describe('columns filled from volatile expressions: values not compared'),
    }),
  ),
  not_rewritten: z.array(
    z.object({
      statement: z.number().int(),
      line: z.number().int(),
      rewrite: z.string(),
      reason: z.string(),
    }),
  ),
});
