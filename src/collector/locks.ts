/**
 * From sampler runs to lock intervals: when each lock was taken and released, and by which
 * statement. A sample only says "held" or "not held" at one instant, so each edge is estimated
 * as the midpoint between the last sample that did not see the lock and the first that did. The
 * statements' own start/end times then sharpen the estimate: a relation lock is only taken while
 * a statement runs, and only released while the statement ending its transaction runs.
 */
import type { LockEvent, LockHeld } from '../result.js';
import { type Clock, round1 } from './clock.js';
import type { StatementTiming } from './runner.js';
import type { LockRun, SamplerData } from './sampler.js';
import type { SqlStatement } from './split.js';

export interface LockInterval {
  relation: string;
  mode: string;
  granted: boolean;
  start: number;
  end: number;
  statement: number | null;
  waiters: Set<number>;
}

const mid = (a: { send: number; recv: number }) => (a.send + a.recv) / 2;

/** Clamp x into [lo, hi] when that range is not empty; otherwise leave it. */
function clampInto(x: number, lo: number, hi: number): number {
  return lo <= hi ? Math.min(Math.max(x, lo), hi) : x;
}

const overlaps = (t: StatementTiming, lo: number, hi: number) => t.start <= hi && t.end >= lo;

/** Which statement took the lock: among those running while it appeared, prefer one that names the relation. */
function acquiringStatement(
  timings: readonly StatementTiming[],
  statements: ReadonlyMap<number, SqlStatement> | null,
  lo: number,
  hi: number,
  estimate: number,
  tableName: string,
  /** A moment the lock is known to be held (when the last sample that saw it was sent). */
  heldAt: number,
): StatementTiming | null {
  let candidates = timings.filter((t) => overlaps(t, lo, hi));
  if (statements) {
    // A lock still held after a statement's transaction ended is not that statement's: an
    // autocommit ALTER releases its locks when it returns, so a lock seen after that belongs to
    // the statement that followed (the DO block, the CREATE INDEX CONCURRENTLY).
    const couldHold = candidates.filter((t) => {
      const end = statements.get(t.index)?.transactionEnd;
      // The end of this run of the statement (a deploy rehearsal sends a statement more than once).
      const endTiming =
        end === null ? undefined : timings.find((x) => x.index === (end ?? t.index) && x.start >= t.start);
      return end === null || !endTiming || endTiming.end >= heldAt;
    });
    if (couldHold.length > 0) candidates = couldHold;
  }
  if (candidates.length === 0) {
    // Seen only after the last statement (a command's leftover session): the latest one that started.
    return timings.filter((t) => t.start <= hi).at(-1) ?? null;
  }
  if (statements) {
    const acting = candidates.filter((t) => !statements.get(t.index)?.transactionControl);
    if (acting.length > 0) candidates = acting;
    const naming = candidates.filter((t) => statements.get(t.index)?.relations.includes(tableName));
    if (naming.length > 0) candidates = naming;
  }
  if (candidates.length === 1) return candidates[0]!;
  const containing = candidates.find((t) => t.start <= estimate && estimate <= t.end);
  if (containing) return containing;
  const distance = (t: StatementTiming) => Math.min(Math.abs(t.start - estimate), Math.abs(t.end - estimate));
  return [...candidates].sort((a, b) => distance(a) - distance(b))[0]!;
}

function intervalOf(
  run: LockRun,
  data: SamplerData,
  timings: readonly StatementTiming[],
  statements: ReadonlyMap<number, SqlStatement> | null,
  endOfRun: number,
): LockInterval {
  const { samples } = data;
  const relation = run.name ?? data.relations.get(run.oid)!;
  const firstSeen = samples[run.first]!;
  const before = run.first > 0 ? samples[run.first - 1]! : null;
  // Taken after the previous sample started reading and before this one finished.
  const acquireLo = before ? before.send : Number.NEGATIVE_INFINITY;
  const acquireHi = firstSeen.recv;
  const startEstimate = before ? (mid(before) + mid(firstSeen)) / 2 : mid(firstSeen);
  const lastSeen = samples[run.last]!;
  const taker = acquiringStatement(
    timings,
    statements,
    acquireLo,
    acquireHi,
    startEstimate,
    relation.table,
    lastSeen.send,
  );
  const start = taker
    ? clampInto(startEstimate, Math.max(acquireLo, taker.start), Math.min(acquireHi, taker.end))
    : startEstimate;

  let end: number;
  if (run.openAtEnd) {
    // Still held after the last statement: the transaction stayed open until the connection closed.
    end = Math.max(endOfRun, lastSeen.recv);
  } else {
    const after = samples[run.last + 1]!;
    const releaseLo = lastSeen.send;
    const releaseHi = after.recv;
    const endEstimate = (mid(lastSeen) + mid(after)) / 2;
    const endIndex = taker ? (statements?.get(taker.index)?.transactionEnd ?? taker.index) : null;
    const releasing = timings.filter((t) => overlaps(t, releaseLo, releaseHi));
    const releaser =
      releasing.find((t) => t.index === endIndex) ?? (releasing.length === 1 ? releasing[0] : undefined);
    end = releaser
      ? clampInto(endEstimate, Math.max(releaseLo, releaser.start), Math.min(releaseHi, releaser.end))
      : endEstimate;
  }
  return {
    relation: relation.name,
    mode: run.mode,
    granted: run.granted,
    start,
    end: Math.max(end, start),
    statement: taker?.index ?? null,
    waiters: run.waiters,
  };
}

export function lockIntervals(
  data: SamplerData,
  timings: readonly StatementTiming[],
  statements: readonly SqlStatement[] | null,
  endOfRun: number,
): LockInterval[] {
  const byIndex = statements ? new Map(statements.map((s) => [s.index, s])) : null;
  const boundaries = byIndex ? transactionEnds(timings, byIndex) : [];
  return data.runs
    .flatMap((run) => splitAtTransactionEnds(run, data, boundaries))
    .map((run) => intervalOf(run, data, timings, byIndex, endOfRun))
    .sort((a, b) => a.start - b.start);
}

/** When each transaction of the migration ended: every lock it took was released then. */
function transactionEnds(
  timings: readonly StatementTiming[],
  statements: ReadonlyMap<number, SqlStatement>,
): number[] {
  return timings
    .filter((t) => statements.get(t.index)?.transactionEnd === t.index)
    .map((t) => t.end)
    .sort((a, b) => a - b);
}

/**
 * Samples only say "held" or "not held", so two autocommit statements that take the same lock
 * back to back (CREATE INDEX, then another) look like one long hold. A transaction end between
 * two samples that saw the lock means it was released and taken again: split the run there, so
 * each statement's hold is measured and attributed on its own.
 */
function splitAtTransactionEnds(run: LockRun, data: SamplerData, boundaries: readonly number[]): LockRun[] {
  const { samples } = data;
  const pieces: LockRun[] = [];
  let first = run.first;
  for (const t of boundaries) {
    if (t <= mid(samples[first]!) || t >= mid(samples[run.last]!)) continue;
    let k = first;
    while (k + 1 <= run.last && mid(samples[k + 1]!) < t) k++;
    if (k + 1 > run.last) break;
    pieces.push({ ...run, first, last: k, openAtEnd: false });
    first = k + 1;
  }
  pieces.push({ ...run, first });
  return pieces;
}

/** The raw intervals, for the HTML lock timeline. */
export function lockEvents(intervals: readonly LockInterval[], clock: Clock): LockEvent[] {
  return intervals.map((i) => ({
    relation: i.relation,
    mode: i.mode,
    granted: i.granted,
    start_ms: clock.relative(i.start),
    end_ms: clock.relative(i.end),
    statement: i.statement,
  }));
}

/** Total length of a set of intervals, counting overlaps once. */
function unionLength(spans: { start: number; end: number }[]): number {
  let total = 0;
  let curStart = Number.NEGATIVE_INFINITY;
  let curEnd = Number.NEGATIVE_INFINITY;
  for (const s of [...spans].sort((a, b) => a.start - b.start)) {
    if (s.start > curEnd) {
      if (curEnd > curStart) total += curEnd - curStart;
      curStart = s.start;
      curEnd = s.end;
    } else {
      curEnd = Math.max(curEnd, s.end);
    }
  }
  if (curEnd > curStart) total += curEnd - curStart;
  return total;
}

/**
 * Granted locks, one entry per (relation, mode, statement): time held, first seen, who waited.
 * Intervals of one group may overlap — a rewrite rebuilds an index under a new OID that resolves to
 * the same name — so held time is their union, never their sum.
 */
export function locksHeld(intervals: readonly LockInterval[], clock: Clock): LockHeld[] {
  const groups = new Map<string, { spans: LockInterval[]; waiters: Set<number> }>();
  for (const i of intervals) {
    if (!i.granted) continue;
    const key = `${i.relation}\0${i.mode}\0${i.statement}`;
    const g = groups.get(key) ?? { spans: [], waiters: new Set<number>() };
    g.spans.push(i);
    for (const w of i.waiters) g.waiters.add(w);
    groups.set(key, g);
  }
  return [...groups.values()]
    .map(({ spans, waiters }) => {
      const first = spans.reduce((a, b) => (b.start < a.start ? b : a));
      return {
        relation: first.relation,
        mode: first.mode,
        held_ms: round1(unionLength(spans)),
        statement: first.statement,
        start_ms: clock.relative(first.start),
        blocked_pids: waiters.size,
      };
    })
    .sort((a, b) => a.start_ms - b.start_ms || a.relation.localeCompare(b.relation));
}
