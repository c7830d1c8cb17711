/**
 * What a strategy leaves behind in its tables, for engines with and without dead-row counts:
 * PostgreSQL counts dead tuples; InnoDB purges its own and reports null, so there the largest
 * growth of a table says more.
 */
import type { StrategyResult } from '../result.js';

/** False where the engine reports no dead-row counts (every table's dead_tuples is null). */
export function countsDeadTuples(r: StrategyResult): boolean {
  const tables = r.bloat.tables;
  return tables.length === 0 || tables.some((t) => t.dead_tuples !== null);
}

/** The table that grew most during the migration, and by how many bytes; null when none grew. */
export function largestGrowth(r: StrategyResult): { relation: string; bytes: number } | null {
  let best: { relation: string; bytes: number } | null = null;
  for (const t of r.bloat.tables) {
    const bytes = t.size_after - t.size_before;
    if (bytes > 0 && (!best || bytes > best.bytes)) best = { relation: t.relation, bytes };
  }
  return best;
}
