/**
 * The workload's part of a strategy result: per-statement latency by phase and against the
 * baseline, committed writes and whether they survived. Lost committed writes fail integrity; the
 * dead tuples and WAL the workload itself made are taken out of the migration's figures and shown
 * here instead.
 */
import * as z from 'zod';
import { round1 } from '../collector/clock.js';
import type { CommittedWritesReport } from './lost-writes.js';
import type { WorkloadOutcome } from './runner.js';
import { statementStats } from './stats.js';

const PhaseStatsSchema = z.object({
  count: z.number().int(),
  ok: z.number().int(),
  p50_ms: z.number().nullable(),
  p95_ms: z.number().nullable(),
  p99_ms: z.number().nullable(),
  max_ms: z.number().nullable(),
  timeouts: z.number().int().describe('statements cancelled by the workload statement_timeout'),
  errors: z.record(z.string(), z.number().int()).describe('errors by SQLSTATE'),
});

const PhaseChangeSchema = z.object({
  p50_ms: z.number().nullable(),
  p95_ms: z.number().nullable(),
  p99_ms: z.number().nullable(),
  max_ms: z.number().nullable(),
  p99_ratio: z.number().nullable(),
});

export const WorkloadResultSchema = z.object({
  file: z.string(),
  rate: z.number().describe('statements per second asked for (0 = as fast as possible)'),
  concurrency: z.number().int(),
  timeout_ms: z.number().int(),
  windows: z.object({ baseline_ms: z.number(), migration_ms: z.number(), after_ms: z.number() }),
  statements: z.array(
    z.object({
      name: z.string(),
      line: z.number().int(),
      sql: z.string(),
      kind: z.enum(['read', 'write']),
      commit: z.boolean(),
      phases: z.object({ baseline: PhaseStatsSchema, migration: PhaseStatsSchema, after: PhaseStatsSchema }),
      change: z
        .object({ migration: PhaseChangeSchema, after: PhaseChangeSchema })
        .describe('each window against the baseline window: ms added (p99_ratio: times)'),
    }),
  ),
  writes: z
    .object({
      committed: z.number().int(),
      committed_during_migration: z.number().int(),
      checked: z.number().int(),
      missing: z.number().int(),
      missing_during_migration: z.number().int(),
      unverifiable: z.number().int(),
      found_in: z.record(z.string(), z.number().int()).describe('where missing rows were found instead'),
      problems: z.array(z.string()),
    })
    .describe('committed workload writes looked up in the final schema'),
  dead_tuples: z
    .record(z.string(), z.number().int())
    .describe("row versions the workload's own writes left dead (not counted in bloat)"),
  wal_bytes: z
    .number()
    .nullable()
    .describe("the workload's own WAL (not counted in wal_bytes), estimated from the baseline window"),
  wal_bytes_baseline: z
    .number()
    .nullable()
    .describe('WAL written during the baseline window, by the workload alone'),
  lost_sessions: z.number().int(),
});
export type WorkloadResult = z.infer<typeof WorkloadResultSchema>;

export function workloadResult(o: WorkloadOutcome, writes: CommittedWritesReport): WorkloadResult {
  const { marks, spec } = o;
  return {
    file: spec.file,
    rate: spec.rate,
    concurrency: spec.concurrency,
    timeout_ms: spec.timeoutMs,
    windows: {
      baseline_ms: round1(marks.migration - marks.baseline),
      migration_ms: round1(marks.after - marks.migration),
      after_ms: round1(marks.end - marks.after),
    },
    statements: spec.statements.map((s) => ({
      name: s.name,
      line: s.line,
      sql: s.sql,
      kind: s.kind,
      commit: s.commit,
      ...statementStats(o.executions.filter((e) => e.statement === s.index)),
    })),
    writes,
    dead_tuples: o.deadTuples,
    wal_bytes: o.walBytes,
    wal_bytes_baseline: o.walBytesBaseline,
    lost_sessions: o.lostSessions,
  };
}
