/**
 * What one sample of MySQL/MariaDB lock tables means: which connection holds which table metadata
 * lock, who waits for one and behind whom (from the MDL compatibility matrices of sql/mdl.cc),
 * which row-lock waits InnoDB reports, and the processlist's own account of waiting sessions.
 * Pure functions over the rows of sampler-sql.ts.
 */
import type { MdlLockRow, ProcesslistWaitRow, RowLockWaitRow } from './sampler-sql.js';

/** Table metadata-lock types, weakest first (MySQL 8 adds SHARED_WRITE_LOW_PRIO). */
export const MDL_TYPES = [
  'SHARED',
  'SHARED_HIGH_PRIO',
  'SHARED_READ',
  'SHARED_WRITE',
  'SHARED_WRITE_LOW_PRIO',
  'SHARED_UPGRADABLE',
  'SHARED_READ_ONLY',
  'SHARED_NO_WRITE',
  'SHARED_NO_READ_WRITE',
  'EXCLUSIVE',
] as const;
export type MdlType = (typeof MDL_TYPES)[number];

/**
 * For each requested type, the granted types it cannot be granted beside (mdl.cc,
 * MDL_object_lock::m_granted_incompatible; SWLP behaves as SW against granted locks).
 */
const GRANTED_INCOMPATIBLE: Record<MdlType, readonly MdlType[]> = {
  SHARED: ['EXCLUSIVE'],
  SHARED_HIGH_PRIO: ['EXCLUSIVE'],
  SHARED_READ: ['SHARED_NO_READ_WRITE', 'EXCLUSIVE'],
  SHARED_WRITE: ['SHARED_READ_ONLY', 'SHARED_NO_WRITE', 'SHARED_NO_READ_WRITE', 'EXCLUSIVE'],
  SHARED_WRITE_LOW_PRIO: ['SHARED_READ_ONLY', 'SHARED_NO_WRITE', 'SHARED_NO_READ_WRITE', 'EXCLUSIVE'],
  SHARED_UPGRADABLE: ['SHARED_UPGRADABLE', 'SHARED_NO_WRITE', 'SHARED_NO_READ_WRITE', 'EXCLUSIVE'],
  SHARED_READ_ONLY: ['SHARED_WRITE', 'SHARED_WRITE_LOW_PRIO', 'SHARED_NO_READ_WRITE', 'EXCLUSIVE'],
  SHARED_NO_WRITE: [
    'SHARED_WRITE',
    'SHARED_WRITE_LOW_PRIO',
    'SHARED_UPGRADABLE',
    'SHARED_NO_WRITE',
    'SHARED_NO_READ_WRITE',
    'EXCLUSIVE',
  ],
  SHARED_NO_READ_WRITE: MDL_TYPES.slice(2),
  EXCLUSIVE: MDL_TYPES,
};

/**
 * For each requested type, the pending types queued before it that it must wait behind
 * (MDL_object_lock::m_waiting_incompatible): a pending EXCLUSIVE makes new reads and writes queue.
 */
const PENDING_INCOMPATIBLE: Record<MdlType, readonly MdlType[]> = {
  SHARED: ['EXCLUSIVE'],
  SHARED_HIGH_PRIO: [],
  SHARED_READ: ['SHARED_NO_READ_WRITE', 'EXCLUSIVE'],
  SHARED_WRITE: ['SHARED_NO_WRITE', 'SHARED_NO_READ_WRITE', 'EXCLUSIVE'],
  SHARED_WRITE_LOW_PRIO: ['SHARED_READ_ONLY', 'SHARED_NO_WRITE', 'SHARED_NO_READ_WRITE', 'EXCLUSIVE'],
  SHARED_UPGRADABLE: ['EXCLUSIVE'],
  SHARED_READ_ONLY: ['SHARED_WRITE', 'SHARED_NO_READ_WRITE', 'EXCLUSIVE'],
  SHARED_NO_WRITE: ['EXCLUSIVE'],
  SHARED_NO_READ_WRITE: ['EXCLUSIVE'],
  EXCLUSIVE: [],
};

/** "MDL_SHARED_READ" (metadata_lock_info) and "SHARED_READ" (performance_schema) are the same type. */
export function normaliseMdlType(type: string): string {
  return type.toUpperCase().replace(/^MDL_/, '');
}

const isMdlType = (t: string): t is MdlType => (MDL_TYPES as readonly string[]).includes(t);

/** Can `requested` not be granted while `granted` is held by another connection? Unknown types conflict with nothing. */
export function mdlConflicts(requested: string, granted: string): boolean {
  const r = normaliseMdlType(requested);
  const g = normaliseMdlType(granted);
  return isMdlType(r) && isMdlType(g) && GRANTED_INCOMPATIBLE[r].includes(g);
}

/** Must `requested` queue behind a pending request of type `pending`? */
export function mdlQueuesBehind(requested: string, pending: string): boolean {
  const r = normaliseMdlType(requested);
  const p = normaliseMdlType(pending);
  return isMdlType(r) && isMdlType(p) && PENDING_INCOMPATIBLE[r].includes(p);
}

/** Does holding `type` make the application's reads (SHARED_READ) or writes (SHARED_WRITE) wait? */
export function mdlBlocks(type: string): { reads: boolean; writes: boolean } {
  return { reads: mdlConflicts('SHARED_READ', type), writes: mdlConflicts('SHARED_WRITE', type) };
}

export interface MdlLock {
  connection: number;
  /** `<database>.<table>`, the Result JSON's relation key on MySQL. */
  relation: string;
  mode: string;
  duration: string | null;
  granted: boolean;
}

export interface MdlWait {
  /** The waiting connection and what it asked for. */
  waiter: number;
  relation: string;
  mode: string;
  /** Connections holding a granted lock that the request cannot be granted beside. */
  holders: number[];
  /** Connections with an incompatible request pending on the same table (the lock queue). */
  queuedBehind: number[];
  /**
   * No granted or queued type explains the wait, so the holders are those of a SHARED_UPGRADABLE
   * lock: performance_schema keeps showing an upgraded lock at its first type (MariaDB).
   */
  holdersInferred: boolean;
}

export interface MdlSnapshot {
  locks: MdlLock[];
  waits: MdlWait[];
}

const id = (v: number | string): number => Number(v);

export function relationKey(schema: string, table: string): string {
  return `${schema}.${table}`;
}

/** Locks and waits of one metadata_locks sample. */
export function interpretMdl(rows: readonly MdlLockRow[]): MdlSnapshot {
  const locks: MdlLock[] = rows.map((r) => ({
    connection: id(r.connection_id),
    relation: relationKey(r.object_schema, r.object_name),
    mode: normaliseMdlType(r.lock_type),
    duration: r.lock_duration,
    granted: r.lock_status === 'GRANTED',
  }));
  const byRelation = new Map<string, MdlLock[]>();
  for (const l of locks) {
    const list = byRelation.get(l.relation);
    if (list) list.push(l);
    else byRelation.set(l.relation, [l]);
  }
  const waits: MdlWait[] = [];
  for (const w of locks) {
    if (w.granted) continue;
    const others = (byRelation.get(w.relation) ?? []).filter((o) => o.connection !== w.connection);
    const holders = others.filter((o) => o.granted && mdlConflicts(w.mode, o.mode)).map((o) => o.connection);
    const queuedBehind = others
      .filter((o) => !o.granted && mdlQueuesBehind(w.mode, o.mode))
      .map((o) => o.connection);
    const inferred = holders.length === 0 && queuedBehind.length === 0;
    const upgradable = inferred
      ? others.filter((o) => o.granted && o.mode === 'SHARED_UPGRADABLE').map((o) => o.connection)
      : [];
    waits.push({
      waiter: w.connection,
      relation: w.relation,
      mode: w.mode,
      holders: unique(inferred ? upgradable : holders),
      queuedBehind: unique(queuedBehind),
      holdersInferred: inferred && upgradable.length > 0,
    });
  }
  return { locks, waits };
}

const unique = (ids: number[]): number[] => [...new Set(ids)].sort((a, b) => a - b);

/** "`app`.`t``x`" (InnoDB's quoting) → "app.t`x". */
export function parseQuotedTable(quoted: string): string {
  const parts: string[] = [];
  const re = /`((?:[^`]|``)*)`/g;
  for (let m = re.exec(quoted); m !== null; m = re.exec(quoted))
    parts.push((m[1] ?? '').replaceAll('``', '`'));
  return parts.length > 0 ? parts.join('.') : quoted;
}

export interface RowLockWait {
  waiter: number;
  holder: number;
  relation: string;
  index: string | null;
  /** RECORD (a row, a gap) or TABLE (an InnoDB table lock, e.g. LOCK TABLES). */
  lockType: string;
  /** X, S, X,GAP, X,REC_NOT_GAP, IX, … */
  waiterMode: string;
  holderMode: string;
  waiterQuery: string | null;
}

export function interpretRowLockWaits(rows: readonly RowLockWaitRow[]): RowLockWait[] {
  return rows.map((r) => ({
    waiter: id(r.waiting_id),
    holder: id(r.blocking_id),
    relation: parseQuotedTable(r.lock_table),
    index: r.lock_index,
    lockType: r.lock_type,
    waiterMode: r.waiting_mode,
    holderMode: r.blocking_mode,
    waiterQuery: r.waiting_query,
  }));
}

export type ProcesslistWaitKind = 'table-metadata' | 'schema-metadata' | 'backup' | 'global-read' | 'other';

export interface ProcesslistWait {
  waiter: number;
  kind: ProcesslistWaitKind;
  state: string;
  query: string | null;
  /** How long the statement has run (not only waited), as the processlist says. */
  runningMs: number | null;
}

export function waitKindOfState(state: string): ProcesslistWaitKind {
  const s = state.toLowerCase();
  if (s.includes('table metadata lock')) return 'table-metadata';
  if (s.includes('schema metadata lock')) return 'schema-metadata';
  if (s.includes('backup lock')) return 'backup';
  if (s.includes('global read lock')) return 'global-read';
  return 'other';
}

export function interpretProcesslistWaits(rows: readonly ProcesslistWaitRow[]): ProcesslistWait[] {
  return rows.map((r) => ({
    waiter: id(r.connection_id),
    kind: waitKindOfState(r.state),
    state: r.state,
    query: r.info,
    runningMs: r.time_ms === null ? null : Math.round(Number(r.time_ms)),
  }));
}
