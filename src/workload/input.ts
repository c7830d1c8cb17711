/** The `workload` input of db_migration_test, db_test_strategies and suite files (`workload:`). */
import * as z from 'zod';
import type { WorkloadInput } from './index.js';

export const WorkloadSchema = z
  .union([
    z.string().min(1).max(4096),
    z.strictObject({
      file: z.string().min(1).max(4096).describe('the workload file'),
      rate: z
        .number()
        .int()
        .min(0)
        .max(10_000)
        .optional()
        .describe('statements per second, all sessions (0 = flat out)'),
      concurrency: z.number().int().min(1).max(32).optional().describe('sessions running the workload'),
      baseline_ms: z.number().int().min(0).max(600_000).optional().describe('window before the migration'),
      after_ms: z.number().int().min(0).max(600_000).optional().describe('window after the migration'),
      timeout_ms: z.number().int().min(1).max(600_000).optional().describe('statement_timeout per statement'),
    }),
  ])
  .optional()
  .describe(
    "The application's own statements: a .sql workload file (path) whose `-- @param $1 key users` lines bind " +
      'parameters to sampled keys and `-- @commit` marks writes that must survive. It runs at a steady rate ' +
      'before, during and after the migration; the result gains per-statement p50/p95/p99/max latency, errors ' +
      'by SQLSTATE and the change against the baseline, and committed writes missing afterwards fail integrity',
  );

export function toWorkloadInput(w: z.infer<typeof WorkloadSchema>): WorkloadInput | undefined {
  if (w === undefined) return undefined;
  if (typeof w === 'string') return { file: w };
  return {
    file: w.file,
    rate: w.rate,
    concurrency: w.concurrency,
    baselineMs: w.baseline_ms,
    afterMs: w.after_ms,
    timeoutMs: w.timeout_ms,
  };
}
