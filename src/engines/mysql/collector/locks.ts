/**
 * The migration's metadata locks, from the sampler's runs: `locks[]` (per relation and
 * metadata-lock type the migration held: how long, from which statement on, how many sessions
 * waited on it meanwhile) and the raw intervals of the HTML lock timeline. `mode` carries
 * MySQL's metadata-lock type (SHARED_UPGRADABLE, SHARED_NO_WRITE, EXCLUSIVE, …).
 */
import type { LockEvent, LockHeld } from '../../../result.js';
import { type HeldRun, type MysqlSamplerData, runSpanMs, type SampleTime } from '../sampler.js';
import { type RanStatement, statementAt } from './runner.js';

const mid = (samples: readonly SampleTime[], i: number) => {
  const s = samples[i];
  return s ? (s.send + s.recv) / 2 : 0;
};

/** Sessions seen waiting on `run`'s holder for the same relation while the run lasted. */
function blockedDuring(data: MysqlSamplerData, run: HeldRun): number {
  const waiters = new Set<number>();
  for (const w of data.waits) {
    if (w.relation !== run.relation || !w.holders.has(run.connection)) continue;
    if (w.last < run.first || w.first > run.last) continue;
    waiters.add(w.waiter);
  }
  return waiters.size;
}

export function locksHeld(
  data: MysqlSamplerData,
  ran: readonly RanStatement[],
  relative: (t: number) => number,
  intervalMs: number,
): LockHeld[] {
  const byKey = new Map<string, LockHeld>();
  for (const run of data.held) {
    if (!run.granted) continue;
    const start = mid(data.samples, run.first);
    const key = `${run.relation}|${run.mode}`;
    const held = runSpanMs(run, data.samples, intervalMs);
    const blocked = blockedDuring(data, run);
    const seen = byKey.get(key);
    if (seen) {
      seen.held_ms = Math.round((seen.held_ms + held) * 10) / 10;
      seen.blocked_pids = (seen.blocked_pids ?? 0) + blocked;
      continue;
    }
    byKey.set(key, {
      relation: run.relation,
      mode: run.mode,
      held_ms: Math.round(held * 10) / 10,
      statement: statementAt(ran, start)?.statement.index ?? null,
      start_ms: relative(start),
      blocked_pids: blocked,
    });
  }
  return [...byKey.values()].sort((a, b) => a.start_ms - b.start_ms);
}

export function lockEvents(
  data: MysqlSamplerData,
  ran: readonly RanStatement[],
  relative: (t: number) => number,
  intervalMs: number,
): LockEvent[] {
  return data.held.map((run) => {
    const start = mid(data.samples, run.first);
    return {
      relation: run.relation,
      mode: run.mode,
      granted: run.granted,
      start_ms: relative(start),
      end_ms: relative(start + runSpanMs(run, data.samples, intervalMs)),
      statement: statementAt(ran, start)?.statement.index ?? null,
    };
  });
}
