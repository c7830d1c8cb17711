/**
 * What the application's workload changes in a strategy's result: lost committed writes fail
 * integrity; the dead tuples and WAL the workload itself made leave the migration's figures.
 */
import { round1 } from '../collector/clock.js';
import type { StrategyResult } from '../result.js';
import type { WorkloadResult } from './result.js';

const n = (x: number) => x.toLocaleString('en-US');

/** Lost committed writes fail integrity; the workload's own dead tuples and WAL leave the migration's figures. */
export function applyWorkload(result: StrategyResult, workload: WorkloadResult): void {
  result.workload = workload;
  const w = workload.writes;
  if (w.missing > 0) {
    const where = Object.entries(w.found_in)
      .map(([t, count]) => `${n(count)} in ${t}`)
      .join(', ');
    result.integrity.ok = false;
    result.integrity.problems = [
      ...(result.integrity.problems ?? []),
      `${n(w.missing)} of ${n(w.committed)} writes the application committed are missing after the migration` +
        ` (${n(w.missing_during_migration)} of ${n(w.committed_during_migration)} committed during it)` +
        (where ? `; found instead: ${where}` : ''),
    ];
  }
  for (const t of result.bloat.tables) {
    const own = workload.dead_tuples[t.relation] ?? 0;
    if (own === 0 || !t.dead_tuples || t.dead_pct === null) continue;
    const left = Math.max(0, t.dead_tuples - own);
    t.dead_pct = round1((t.dead_pct * left) / t.dead_tuples);
    t.dead_tuples = left;
  }
  if (typeof result.wal_bytes === 'number' && workload.wal_bytes !== null) {
    result.wal_bytes = Math.max(0, result.wal_bytes - workload.wal_bytes);
  }
}
