/**
 * Why an application statement (a probe) waited, in plain words: what it waited for — a row lock,
 * an index the planner locks, a view, a table, a place in the lock queue — and which migration
 * statement held it. Built from what the sampler saw of the probe's session while it waited
 * (wait_event, the relation awaited, pg_blocking_pids) and the lock intervals of the migration.
 */
import type { WaitCause } from '../result.js';
import { formatMs } from '../util/units.js';
import type { LockInterval } from './locks.js';
import type { RawWait, WaitCauseOf } from './probe-stats.js';
import type { StatementTiming } from './runner.js';
import type { ProbeWaitSample, RelationName, SamplerData } from './sampler.js';
import type { SqlStatement } from './split.js';

/** A wait this long with no lock wait seen is the statement running slower, not waiting. */
const SLOW_EXECUTION_FLOOR_MS = 100;
/** Samples this close to a wait's edges still belong to it (the sample's own round trip). */
const EDGE_MS = 10;
const SQL_PREVIEW_CHARS = 80;

export interface CauseInput {
  sampler: SamplerData;
  intervals: readonly LockInterval[];
  timings: readonly StatementTiming[];
  statements: readonly SqlStatement[] | null;
  /** The migration connection (null for a command: then every session the sampler saw acting). */
  migrationPid: number | null;
}

const ROW_EVENTS = new Set(['transactionid', 'tuple']);

function preview(sql: string): string {
  const flat = sql.replace(/\s+/g, ' ').trim();
  return flat.length > SQL_PREVIEW_CHARS ? `${flat.slice(0, SQL_PREVIEW_CHARS - 1)}…` : flat;
}

/** The most frequent value (ties: the latest seen). */
function mostCommon<T>(xs: readonly T[], key: (x: T) => string): T | undefined {
  const counts = new Map<string, number>();
  let best: T | undefined;
  let bestCount = 0;
  for (const x of xs) {
    const n = (counts.get(key(x)) ?? 0) + 1;
    counts.set(key(x), n);
    if (n >= bestCount) {
      best = x;
      bestCount = n;
    }
  }
  return best;
}

export function causeResolver(input: CauseInput): WaitCauseOf {
  const { sampler, intervals, timings, statements } = input;
  const byIndex = new Map(statements?.map((s) => [s.index, s]) ?? []);
  const migration = new Set(sampler.migrationPids);
  if (input.migrationPid !== null) migration.add(input.migrationPid);
  const samplesOf = new Map<number, ProbeWaitSample[]>();
  for (const s of sampler.probeWaits) {
    const list = samplesOf.get(s.pid);
    if (list) list.push(s);
    else samplesOf.set(s.pid, [s]);
  }

  const statementOf = (index: number | null) => {
    const s = index === null ? undefined : byIndex.get(index);
    return { statement: index, sql: s ? preview(s.sql) : null };
  };

  /** The migration's lock on `relation` that covered the wait: granted, or (lock queue) still awaited. */
  const lockOf = (relation: string, w: RawWait, granted: boolean): LockInterval | undefined =>
    intervals.find(
      (i) => i.relation === relation && i.granted === granted && i.start <= w.end && i.end >= w.start,
    );
  const holderOf = (relation: string, w: RawWait, granted: boolean): number | null =>
    lockOf(relation, w, granted)?.statement ?? null;

  /** For a row lock: the statement of the open transaction that last named the table before the wait began. */
  const rowHolder = (w: RawWait): number | null => {
    const table = w.relation.replace(/^.*\./, '').replace(/^"|"$/g, '');
    const started = timings.filter((t) => t.start <= w.start).sort((a, b) => b.start - a.start);
    const open = started.filter((t) => {
      const end = byIndex.get(t.index)?.transactionEnd;
      const endTiming =
        end === null || end === undefined
          ? undefined
          : timings.find((x) => x.index === end && x.start >= t.start);
      return !endTiming || endTiming.end >= w.start;
    });
    const naming = open.find((t) => byIndex.get(t.index)?.relations.includes(table));
    return (
      (naming ?? open.find((t) => !byIndex.get(t.index)?.transactionControl) ?? started[0])?.index ?? null
    );
  };

  return (w: RawWait): WaitCause | null => {
    const ms = w.end - w.start;
    const subject = `${w.kind === 'read' ? 'reads of' : 'writes to'} ${w.relation}`;
    const seen = (samplesOf.get(w.pid) ?? []).filter(
      (s) => s.at >= w.start - EDGE_MS && s.at <= w.end + EDGE_MS,
    );
    const sample = mostCommon(seen, (s) => `${s.event}/${s.oid}`);
    if (!sample) {
      if (ms < SLOW_EXECUTION_FLOOR_MS || w.deadlock) return null;
      return {
        kind: 'slow_execution',
        relation: null,
        statement: null,
        sql: null,
        text: `${subject} took ${formatMs(ms)} longer than before the migration without waiting for a lock (the migration's I/O or CPU slowed it)`,
      };
    }
    const blockers = new Set(seen.flatMap((s) => s.blockers));
    const byMigration = [...blockers].some((p) => migration.has(p));
    const queued = seen.some((s) => s.waitingBlockers.some((p) => migration.has(p)));
    const rel: RelationName | undefined = sample.oid === null ? undefined : sampler.relations.get(sample.oid);
    if (!byMigration) {
      return {
        kind: 'other_session',
        relation: rel?.name ?? null,
        statement: null,
        sql: null,
        text: `${subject} waited ${formatMs(ms)} for another session's lock (pid ${[...blockers].join(', ') || '?'}), not the migration's`,
      };
    }
    if (ROW_EVENTS.has(sample.event)) {
      const held = statementOf(rowHolder(w));
      return {
        kind: 'row_lock',
        relation: w.relation,
        ...held,
        text: `${subject} waited ${formatMs(ms)} on row locks held by ${describe(held)}`,
      };
    }
    if (queued && rel) {
      const held = statementOf(holderOf(rel.name, w, false) ?? holderOf(rel.name, w, true));
      return {
        kind: 'lock_queue',
        relation: rel.name,
        ...held,
        text: `${subject} waited ${formatMs(ms)} in the lock queue of ${rel.name} behind ${describe(held)}, which was itself waiting for another session's lock`,
      };
    }
    if (rel) {
      const held = statementOf(holderOf(rel.name, w, true));
      const on =
        rel.kind === 'i'
          ? {
              kind: 'index_lock' as const,
              what: `index ${rel.name} (the planner locks every index of a table it reads)`,
            }
          : rel.kind === 'm'
            ? { kind: 'view_lock' as const, what: `the materialized view ${rel.name}` }
            : rel.kind === 'v'
              ? { kind: 'view_lock' as const, what: `the view ${rel.name}` }
              : {
                  kind: 'table_lock' as const,
                  what: `${lockOf(rel.name, w, true)?.mode ?? 'a lock'} on ${rel.name}`,
                };
      return {
        kind: on.kind,
        relation: rel.name,
        ...held,
        text: `${subject} waited ${formatMs(ms)} on ${on.what}, held by ${describe(held)}`,
      };
    }
    return {
      kind: 'table_lock',
      relation: null,
      statement: null,
      sql: null,
      text: `${subject} waited ${formatMs(ms)} on a ${sample.event} lock held by the migration`,
    };
  };
}

function describe(held: { statement: number | null; sql: string | null }): string {
  if (held.statement === null) return 'the migration';
  return `statement ${held.statement}${held.sql ? ` (${held.sql})` : ''}`;
}
