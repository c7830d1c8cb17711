/**
 * Human units and the few summaries every report shares. Each summary reads a field of the
 * result object; nothing here estimates or assumes a number.
 */
import { countsDeadTuples, largestGrowth } from '../analysis/growth.js';
import { longestBlockingLock } from '../analysis/locks.js';
import { DEFAULT_ENGINE, engineLabel } from '../engines/index.js';
import type { BloatEntry, Comparison, EngineName, LockHeld, ProbeStats, StrategyResult } from '../result.js';
import { formatBytes, formatMs } from '../util/units.js';

export { formatBytes, formatMs };

/** A blocked duration: zero is "none", so a clean strategy reads as clean at a glance. */
export function formatBlocked(ms: number): string {
  return ms === 0 ? 'none' : formatMs(ms);
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatPct(pct: number): string {
  return `${pct >= 10 || pct === 0 ? pct.toFixed(0) : pct.toFixed(1)}%`;
}

/**
 * The longest-held lock that blocks the application's writes (SHARE or stronger). A backfill's
 * long ROW EXCLUSIVE or a copy's ACCESS SHARE blocks nobody, so it is not the lock to show.
 */
export function longestLock(r: StrategyResult): LockHeld | null {
  return longestBlockingLock(r.locks, 'any', Object.keys(r.blocking.tables)) ?? null;
}

/** The table with the most dead tuples after the run. */
export function worstBloat(r: StrategyResult): BloatEntry | null {
  let best: BloatEntry | null = null;
  for (const entry of r.bloat.tables)
    if (!best || (entry.dead_tuples ?? 0) > (best.dead_tuples ?? 0)) best = entry;
  return best;
}

/** A wait above this is worth naming its cause in a report line. */
const CAUSE_WORTH_NAMING_MS = 100;

/**
 * "none", or the union of waiting time, with timeouts and deadlocks called out (a timeout is a
 * wait cut short), the share of statements that waited noticeably, and why the longest one
 * waited. Unmeasured is said as such: never "none".
 */
export function describeProbe(stats: ProbeStats): string {
  if (stats.status === 'unmeasured') return `unmeasured (${stats.unmeasured_reason ?? 'no probe ran'})`;
  if (stats.status === 'not_applicable') return 'not applicable';
  const parts = [formatBlocked(stats.blocked_ms)];
  if (stats.blocked_ms > 0) parts.push(`max wait ${formatMs(stats.max_wait_ms)}`);
  if (stats.waited_share) parts.push(`${formatPct(stats.waited_share * 100)} of statements waited >100 ms`);
  if (stats.timeouts > 0) parts.push(`${stats.timeouts} timed out`);
  if (stats.deadlocks) parts.push(`${stats.deadlocks} deadlocked with the migration`);
  const text = parts.join(', ');
  return stats.cause && stats.max_wait_ms > CAUSE_WORTH_NAMING_MS ? `${text} — ${stats.cause.text}` : text;
}

/** A summary cell: the blocked time, or "unmeasured" where nothing could be measured. */
export function blockedCell(stats: ProbeStats): string {
  return stats.status === 'unmeasured' ? 'unmeasured' : formatBlocked(stats.blocked_ms);
}

/** Why the application waited, one line per strategy and access that waited noticeably. */
export function waitCauses(r: StrategyResult): string[] {
  return (['writes', 'reads'] as const)
    .map((kind) => r.blocking[kind])
    .filter((s) => s.cause && s.max_wait_ms > CAUSE_WORTH_NAMING_MS)
    .map((s) => s.cause!.text);
}

export function describeLock(lock: LockHeld | null): string {
  if (!lock) return 'none';
  const stmt = lock.statement === null ? '' : ` (stmt ${lock.statement})`;
  return `${lock.mode} ${lock.relation} ${formatMs(lock.held_ms)}${stmt}`;
}

export function describeBloat(r: StrategyResult): string {
  if (!countsDeadTuples(r)) {
    const grown = largestGrowth(r);
    return grown ? `+${formatBytes(grown.bytes)} ${grown.relation}` : 'none';
  }
  const worst = worstBloat(r);
  if (!worst?.dead_tuples) return 'none';
  return `${formatCount(worst.dead_tuples)} / ${formatPct(worst.dead_pct ?? 0)} ${worst.relation}`;
}

export function describeRewrites(r: StrategyResult): string {
  return r.rewrites.length === 0 ? 'none' : r.rewrites.join(', ');
}

/** Why integrity is not ok: the collector's own words when given, else what its lists contain. */
export function integrityProblems(r: StrategyResult): string[] {
  if (r.integrity.ok) return [];
  if (r.integrity.problems && r.integrity.problems.length > 0) return r.integrity.problems;
  const out: string[] = [];
  for (const idx of r.integrity.invalid_indexes) out.push(`invalid index ${idx}`);
  for (const con of r.integrity.not_valid_constraints) out.push(`NOT VALID constraint ${con}`);
  for (const [rel, c] of Object.entries(r.integrity.row_counts)) {
    if (c.after === null) out.push(`${rel} no longer exists (${formatCount(c.before)} rows before)`);
    else if (c.after !== c.before)
      out.push(`${rel} row count ${formatCount(c.before)} → ${formatCount(c.after)}`);
  }
  return out.length > 0 ? out : ['integrity check failed'];
}

export type Verdict = 'recommended' | 'acceptable' | 'rejected';

export function verdictOf(c: Comparison, r: StrategyResult): Verdict {
  if (c.recommendation?.name === r.name) return 'recommended';
  if (c.rejected?.some((x) => x.name === r.name)) return 'rejected';
  if (r.status === 'failed' || !r.integrity.ok || r.validation?.status === 'failed') return 'rejected';
  return 'acceptable';
}

/** Why a strategy was rejected: the analysis's reason, else the failure the result records. */
export function rejectionReason(c: Comparison, r: StrategyResult): string | null {
  const given = c.rejected?.find((x) => x.name === r.name);
  if (given) return given.reason;
  if (r.status === 'failed') return r.error ?? 'failed';
  if (r.validation?.status === 'failed') return 'validation failed';
  if (!r.integrity.ok) return integrityProblems(r).join('; ');
  return null;
}

/** "MySQL/MariaDB" for a MySQL result, checkpoint or comparison; null for the default engine (reports stay as they were). */
export function engineNote(x: { engine?: EngineName }): string | null {
  return x.engine && x.engine !== DEFAULT_ENGINE ? engineLabel(x.engine) : null;
}

/** " · engine MySQL/MariaDB" after a report's meta line, or nothing for PostgreSQL. */
export const engineMeta = (x: { engine?: EngineName }): string => {
  const e = engineNote(x);
  return e ? ` · engine ${e}` : '';
};

export function describeMode(c: Comparison): string {
  if (c.mode === 'parallel' && c.backend === 'vers') return 'run in parallel, each branch on its own VM';
  if (c.mode === 'parallel') return 'run in parallel on one server (timings competed for CPU and disk)';
  if (c.mode === 'serial') return 'run serially, one strategy at a time';
  return 'run mode not recorded';
}

/** The first line of a statement, shortened, for one-line listings. */
export function sqlSummary(sql: string, max = 72): string {
  const oneLine = sql.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}
