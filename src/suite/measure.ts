/**
 * Small measurements the suite patterns share: metric values read from a strategy result, numbers
 * read from a branch (SQL or a command), index bloat, latency percentiles, and a blank result for
 * branches that run no migration.
 */
import type pg from 'pg';
import type { Backend } from '../backends/backend.js';
import type { StrategyResult } from '../result.js';
import { blocks } from '../util/lock-modes.js';
import type { NumberSourceSpec } from './schema.js';

/** The migration metrics that are fields of the result (index_bloat is measured on the branch). */
export function migrationMetric(r: StrategyResult, metric: string): number | null {
  switch (metric) {
    case 'execution_time':
      return r.duration_ms;
    case 'lock_duration':
      return r.locks.filter((l) => blocks(l.mode, 'writes')).reduce((m, l) => Math.max(m, l.held_ms), 0);
    case 'reads_blocked':
      return r.blocking.reads.blocked_ms;
    case 'writes_blocked':
      return r.blocking.writes.blocked_ms;
    case 'max_read_wait':
      return r.blocking.reads.max_wait_ms;
    case 'max_write_wait':
      return r.blocking.writes.max_wait_ms;
    case 'dead_tuples':
      return r.bloat.tables.reduce((s, t) => s + (t.dead_tuples ?? 0), 0);
    case 'rewrites':
      return r.rewrites.length;
    case 'wal_bytes':
      return r.wal_bytes ?? null;
    case 'size_growth':
      return r.bloat.tables.reduce((s, t) => s + (t.size_after - t.size_before), 0);
    default:
      return null;
  }
}

/**
 * Worst btree index: the share of leaf space left empty beyond the index's fillfactor, from
 * pgstatindex (pgstattuple). A freshly built index scores about 0; one that churned through a
 * full-table UPDATE scores high. Null when pgstattuple is not available.
 */
const INDEX_BLOAT_SQL = `
  SELECT format('%I.%I', n.nspname, c.relname) AS index,
         s.avg_leaf_density AS density,
         coalesce((SELECT option_value::float FROM pg_options_to_table(c.reloptions) WHERE option_name = 'fillfactor'), 90) AS fillfactor
  FROM pg_index i
  JOIN pg_class c ON c.oid = i.indexrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_am am ON am.oid = c.relam AND am.amname = 'btree'
  CROSS JOIN LATERAL pgstatindex(c.oid) s
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
    AND i.indisvalid AND s.leaf_pages > 0`;
const CREATE_PGSTATTUPLE_SQL = 'CREATE EXTENSION IF NOT EXISTS pgstattuple';

export async function measureIndexBloat(client: pg.Client): Promise<number | null> {
  try {
    await client.query(CREATE_PGSTATTUPLE_SQL);
    const { rows } = await client.query<{ density: number; fillfactor: number }>(INDEX_BLOAT_SQL);
    let worst = 0;
    for (const r of rows) {
      const pct = Math.max(0, (1 - Number(r.density) / Number(r.fillfactor)) * 100);
      worst = Math.max(worst, pct);
    }
    return Math.round(worst * 10) / 10;
  } catch {
    return null;
  }
}

/** A number from text: the last number on the last non-empty line. */
export function lastNumber(text: string): number | null {
  const lines = text.trim().split('\n').reverse();
  for (const line of lines) {
    const m = line.match(/-?\d+(?:\.\d+)?(?:e[+-]?\d+)?/gi);
    if (m && m.length > 0) return Number(m[m.length - 1]);
  }
  return null;
}

/** `name=12.5` or `name: 12.5` printed by a job on its own line. */
export function printedMetric(stdout: string, name: string): number | null {
  const re = new RegExp(`^\\s*${name}\\s*[=:]\\s*(-?\\d+(?:\\.\\d+)?)\\s*$`, 'm');
  const m = re.exec(stdout);
  return m ? Number(m[1]) : null;
}

/** Read a number from the branch: the first column of the first row, or the last number a command prints. */
export async function readNumber(
  spec: NumberSourceSpec,
  client: pg.Client,
  backend: Backend,
  branch: string,
  cwd: string,
): Promise<{ value: number | null; error: string | null }> {
  try {
    if ('sql' in spec) {
      const r = await client.query({ text: spec.sql, rowMode: 'array' });
      const v = (r.rows[0] as unknown[] | undefined)?.[0];
      const n = v === null || v === undefined ? Number.NaN : Number(v);
      return Number.isFinite(n)
        ? { value: n, error: null }
        : { value: null, error: `query returned ${String(v)}, not a number` };
    }
    const r = await backend.exec(branch, spec.command, { cwd, timeoutMs: 10 * 60_000 });
    if (r.exitCode !== 0)
      return { value: null, error: `command exited with ${r.exitCode}: ${r.stderr.trim().slice(-300)}` };
    const n = lastNumber(r.stdout);
    return n === null ? { value: null, error: 'command printed no number' } : { value: n, error: null };
  } catch (err) {
    return { value: null, error: err instanceof Error ? err.message : String(err) };
  }
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

export function latencyStats(latencies: readonly number[], wallMs: number): Record<string, number> {
  const sorted = [...latencies].sort((a, b) => a - b);
  const mean = sorted.reduce((s, x) => s + x, 0) / Math.max(1, sorted.length);
  return {
    p50: round2(percentile(sorted, 50)),
    p95: round2(percentile(sorted, 95)),
    p99: round2(percentile(sorted, 99)),
    mean: round2(mean),
    qps: round2(sorted.length / (wallMs / 1000)),
  };
}

/** A result for a branch that ran no measured migration (a benchmark without setup). */
export { blankResult } from '../core/settle.js';
