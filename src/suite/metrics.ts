/**
 * The metrics a suite may ask for, per pattern, with their unit and which way is worse. Thresholds
 * and reports read this table; an unknown metric in a suite file is an error that lists it.
 */
import type { SuitePattern } from './result.js';

export type MetricUnit = 'ms' | 'bytes' | 'count' | 'pct' | 'score' | 'per_s';

export interface MetricInfo {
  unit: MetricUnit;
  /** The direction that is a regression: latency going up, throughput going down. */
  worse: 'higher' | 'lower';
  description: string;
}

const MIGRATION_METRICS: Record<string, MetricInfo> = {
  execution_time: { unit: 'ms', worse: 'higher', description: 'wall time of the migration' },
  lock_duration: {
    unit: 'ms',
    worse: 'higher',
    description: 'longest hold of a lock that blocks application reads or writes (ShareLock or stronger)',
  },
  index_bloat: {
    unit: 'pct',
    worse: 'higher',
    description:
      'worst btree index: empty leaf space beyond its fillfactor after the migration (pgstatindex)',
  },
  reads_blocked: { unit: 'ms', worse: 'higher', description: 'time application reads were waiting (union)' },
  writes_blocked: {
    unit: 'ms',
    worse: 'higher',
    description: 'time application writes were waiting (union)',
  },
  max_read_wait: { unit: 'ms', worse: 'higher', description: 'longest single wait of an application read' },
  max_write_wait: { unit: 'ms', worse: 'higher', description: 'longest single wait of an application write' },
  dead_tuples: { unit: 'count', worse: 'higher', description: 'dead tuples left in user tables' },
  rewrites: { unit: 'count', worse: 'higher', description: 'tables rewritten (new relfilenode)' },
  wal_bytes: { unit: 'bytes', worse: 'higher', description: 'WAL written during the migration' },
  size_growth: {
    unit: 'bytes',
    worse: 'higher',
    description: 'growth of user tables (heap + indexes + toast)',
  },
};

const ETL_METRICS: Record<string, MetricInfo> = {
  row_count: { unit: 'count', worse: 'lower', description: 'exact rows in the target tables after the job' },
  data_quality_score: {
    unit: 'score',
    worse: 'lower',
    description:
      "from the branch's `quality: {sql|command}`, else a `data_quality_score=<n>` line the job prints",
  },
  sync_time: { unit: 'ms', worse: 'higher', description: 'wall time of the ETL command' },
  lag_time: {
    unit: 'ms',
    worse: 'higher',
    description: "ms, from the branch's `lag: {sql|command}`, else a `lag_time=<ms>` line the job prints",
  },
  execution_time: MIGRATION_METRICS.execution_time!,
};

const PERFORMANCE_METRICS: Record<string, MetricInfo> = {
  p50: { unit: 'ms', worse: 'higher', description: 'median latency of one run of the queries file' },
  p95: { unit: 'ms', worse: 'higher', description: '95th percentile latency' },
  p99: { unit: 'ms', worse: 'higher', description: '99th percentile latency' },
  mean: { unit: 'ms', worse: 'higher', description: 'mean latency' },
  qps: {
    unit: 'per_s',
    worse: 'lower',
    description: 'query statements executed per second over the measured runs',
  },
};

export const METRICS: Record<SuitePattern, Record<string, MetricInfo>> = {
  migrations: MIGRATION_METRICS,
  rollback: MIGRATION_METRICS,
  etl: ETL_METRICS,
  performance: PERFORMANCE_METRICS,
};

export function metricInfo(pattern: SuitePattern, name: string): MetricInfo | undefined {
  return Object.hasOwn(METRICS[pattern], name) ? METRICS[pattern][name] : undefined;
}

export function knownMetrics(pattern: SuitePattern): string[] {
  return Object.keys(METRICS[pattern]);
}
