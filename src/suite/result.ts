/**
 * What a suite run returns: one comparison per suite plus the suite's own checks (thresholds,
 * rollback expectations, validations). It is the `vers-db run --json` output and the
 * structuredContent of `db_run_suite`, so fields may be added but never renamed.
 */
import * as z from 'zod';
import { ComparisonSchema } from '../result.js';

export const SUITE_PATTERNS = ['migrations', 'rollback', 'etl', 'performance'] as const;
export type SuitePattern = (typeof SUITE_PATTERNS)[number];

export const SuiteCheckSchema = z.object({
  branch: z.string().nullable().describe('the branch the check is about; null for suite-wide checks'),
  check: z.string().describe('what was checked, e.g. "threshold p99", "expect data_preserved", "validation"'),
  passed: z.boolean(),
  detail: z.string().describe('the measured values behind the verdict, in plain words'),
});

export const SuiteOutcomeSchema = z.object({
  name: z.string(),
  pattern: z.enum(SUITE_PATTERNS),
  checkpoint: z.string().describe('the checkpoint every branch of the suite started from'),
  comparison: ComparisonSchema,
  passed: z.boolean(),
  failures: z.array(z.string()).describe('every failed check and failed branch, one line each'),
  checks: z.array(SuiteCheckSchema),
});

export const SuiteRunResultSchema = z.object({
  file: z.string(),
  mode: z.enum(['serial', 'parallel']),
  passed: z.boolean(),
  duration_ms: z.number(),
  checkpoints: z.array(z.object({ name: z.string(), after: z.string().nullable(), duration_ms: z.number() })),
  suites: z.array(SuiteOutcomeSchema),
});

export type SuiteCheck = z.infer<typeof SuiteCheckSchema>;
export type SuiteOutcome = z.infer<typeof SuiteOutcomeSchema>;
export type SuiteRunResult = z.infer<typeof SuiteRunResultSchema>;
