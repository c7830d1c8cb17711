/**
 * The lock sampler: every few milliseconds, from its own connection, reads the relation locks of
 * the migration session(s) and of every session waiting for a lock in the branch database. It
 * records runs of consecutive samples per (relation, mode, granted); locks.ts turns them into
 * timed intervals attributed to statements.
 */

import type pg from 'pg';
import { DatabaseError } from '../errors.js';
import { modesConflict } from '../util/lock-modes.js';
import { PeriodicLoop } from '../util/periodic.js';
import type { Clock } from './clock.js';
import { SYSTEM_SCHEMA_FILTER } from './schema.js';

/** One sample: sent and received on the shared clock; pg_locks was read somewhere in between. */
export interface Sample {
  send: number;
  recv: number;
}

export interface LockRun {
  oid: number;
  mode: string;
  granted: boolean;
  /** Index of the first and last sample that saw it. */
  first: number;
  last: number;
  /** Still seen by the final sample. */
  openAtEnd: boolean;
  /** Sessions seen waiting, blocked by the migration, for a mode that conflicts with this one. */
  waiters: Set<number>;
  /** The relation's name when this run began (a table swapped in by RENAME changes name mid-run). */
  name?: RelationName;
}

export interface RelationName {
  /** "schema.name" */
  name: string;
  /** For an index, the table it is on (unqualified), so it matches statements that name the table. */
  table: string;
  /** pg_class.relkind: 'i' index, 'v' view, 'm' materialized view, 'r'/'p' table. */
  kind?: string;
}

/** A probe seen waiting for a lock: what for, and which sessions it was behind. */
export interface ProbeWaitSample {
  /** Middle of the sample, on the shared clock. */
  at: number;
  pid: number;
  /** pg_stat_activity.wait_event of type Lock: relation, transactionid, tuple, virtualxid… */
  event: string;
  /** For a relation lock: the relation awaited. */
  oid: number | null;
  blockers: number[];
  /** Blockers that were themselves waiting for a lock (the lock queue). */
  waitingBlockers: number[];
}

export interface SamplerData {
  samples: Sample[];
  runs: LockRun[];
  relations: Map<number, RelationName>;
  probeWaits: ProbeWaitSample[];
  /** Every session seen acting as the migration (the migration connection, its workers, a command's sessions). */
  migrationPids: Set<number>;
}

/** Sessions that are the migration: our migration connection and its parallel workers. */
const MIGRATION_BY_PID = `SELECT pid FROM pg_stat_activity WHERE pid = $1 OR leader_pid = $1`;
/** For a shell-command step: every session in the database that is not vers-db's own. */
const MIGRATION_EXTERNAL = `
  SELECT pid FROM pg_stat_activity
  WHERE datname = current_database() AND pid <> pg_backend_pid()
    AND coalesce(application_name, '') NOT LIKE 'vers-db%'
    AND (backend_type = 'client backend' OR leader_pid IS NOT NULL)`;

/** Relation locks on user objects (OID >= 16384) held by the migration, or awaited by anyone. */
const samplerSql = (migrationSessions: string) => `
  WITH migration AS (${migrationSessions})
  SELECT l.pid, l.relation::int8 AS oid, l.mode, l.granted, l.pid IN (SELECT pid FROM migration) AS mine,
         CASE WHEN l.granted THEN NULL ELSE
           EXISTS (SELECT 1 FROM unnest(pg_blocking_pids(l.pid)) b(pid) WHERE b.pid IN (SELECT pid FROM migration))
         END AS blocked_by_migration
  FROM pg_locks l
  WHERE l.locktype = 'relation' AND l.relation >= 16384
    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
    AND (l.pid IN (SELECT pid FROM migration) OR NOT l.granted)`;

/** Probes waiting for a lock, what they wait for, and who they wait behind. */
const PROBE_WAITS_SQL = `
  SELECT a.pid, a.wait_event AS event,
         (SELECT l.relation::int8 FROM pg_locks l
          WHERE l.pid = a.pid AND NOT l.granted AND l.locktype = 'relation' LIMIT 1) AS oid,
         b.blockers,
         coalesce((SELECT array_agg(w.pid) FROM pg_stat_activity w
                   WHERE w.pid = ANY(b.blockers) AND w.wait_event_type = 'Lock'), '{}') AS waiting_blockers
  FROM pg_stat_activity a CROSS JOIN LATERAL (SELECT pg_blocking_pids(a.pid) AS blockers) b
  WHERE a.pid = ANY($1::int[]) AND a.wait_event_type = 'Lock'`;

const RESOLVE_RELATIONS_SQL = `
  SELECT c.oid::int8 AS oid, format('%I.%I', n.nspname, c.relname) AS name, c.relkind::text AS kind,
         coalesce(t.relname, c.relname) AS table_name, ${SYSTEM_SCHEMA_FILTER} AS user_relation
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_index i ON i.indexrelid = c.oid LEFT JOIN pg_class t ON t.oid = i.indrelid
  WHERE c.oid = ANY($1::oid[])`;

const RETRY_INVISIBLE_EVERY_SAMPLES = 20;

interface LockRow {
  pid: number;
  oid: string;
  mode: string;
  granted: boolean;
  mine: boolean;
  blocked_by_migration: boolean | null;
}

export class LockSampler {
  private readonly samples: Sample[] = [];
  private readonly open = new Map<string, LockRun>();
  private readonly closed: LockRun[] = [];
  private readonly relations = new Map<number, RelationName>();
  private readonly ignored = new Set<number>();
  private readonly sql: string;
  private readonly params: number[];
  /** Relations not visible yet (created in the migration's open transaction): sample index of the next try. */
  private readonly retryAt = new Map<number, number>();
  private loop: PeriodicLoop | null = null;
  private probePids: number[] = [];
  private readonly probeWaits: ProbeWaitSample[] = [];
  private readonly migrationPids = new Set<number>();

  constructor(
    private readonly client: pg.Client,
    private readonly clock: Clock,
    /** The migration connection's pid, or null for a command step (every non-vers-db session). */
    migrationPid: number | null,
    private readonly intervalMs: number,
  ) {
    this.sql = samplerSql(migrationPid === null ? MIGRATION_EXTERNAL : MIGRATION_BY_PID);
    this.params = migrationPid === null ? [] : [migrationPid];
  }

  /** From now on, also record what these probe sessions wait for when they wait. */
  watchProbes(pids: readonly number[]): void {
    this.probePids = [...pids];
  }

  /** Take the first sample, then keep sampling in the background. */
  async start(): Promise<void> {
    await this.sampleOnce();
    this.loop = new PeriodicLoop(
      () => this.sampleOnce(),
      this.intervalMs,
      () => this.clock.now(),
    );
    this.loop.start(this.samples.at(-1)?.send);
  }

  /** Take a final sample (it sees what the last statement released), stop, resolve relation names. */
  async stop(): Promise<SamplerData> {
    const failure = await this.loop?.stop();
    if (failure) {
      throw new DatabaseError(`the lock sampler lost its connection: ${(failure as Error).message}`, {
        cause: failure,
      });
    }
    await this.sampleOnce();
    for (const run of this.open.values()) this.closed.push({ ...run, openAtEnd: true });
    this.open.clear();
    const awaited = this.probeWaits.flatMap((w) => (w.oid === null ? [] : [w.oid]));
    await this.resolve([...new Set([...this.closed.map((r) => r.oid), ...awaited])]);
    const runs = this.closed.filter((r) => this.relations.has(r.oid)).sort((a, b) => a.first - b.first);
    return {
      samples: this.samples,
      runs,
      relations: this.relations,
      probeWaits: this.probeWaits,
      migrationPids: this.migrationPids,
    };
  }

  private async sampleOnce(): Promise<void> {
    const send = this.clock.now();
    const { rows } = await this.client.query<LockRow>(this.sql, this.params);
    const recv = this.clock.now();
    const index = this.samples.push({ send, recv }) - 1;
    if (this.probePids.length > 0) await this.sampleProbeWaits((send + recv) / 2);
    const seen = new Set<string>();
    const waiters: LockRow[] = [];
    const renamed: LockRun[] = [];
    for (const row of rows) {
      if (!row.mine) {
        if (row.blocked_by_migration) waiters.push(row);
        continue;
      }
      this.migrationPids.add(row.pid);
      const oid = Number(row.oid);
      const key = `${oid}/${row.mode}/${row.granted}`;
      if (seen.has(key)) continue; // the same lock held by the leader and a parallel worker
      seen.add(key);
      const run = this.open.get(key);
      if (run) run.last = index;
      else {
        const opened: LockRun = {
          oid,
          mode: row.mode,
          granted: row.granted,
          first: index,
          last: index,
          openAtEnd: false,
          waiters: new Set(),
        };
        this.open.set(key, opened);
        if (this.relations.has(oid)) renamed.push(opened);
      }
    }
    for (const [key, run] of this.open) {
      if (!seen.has(key)) {
        this.closed.push(run);
        this.open.delete(key);
      }
    }
    for (const w of waiters) {
      for (const run of this.open.values()) {
        if (run.granted && run.oid === Number(w.oid) && modesConflict(run.mode, w.mode))
          run.waiters.add(w.pid);
      }
    }
    const unknown = [...this.open.values()]
      .map((r) => r.oid)
      .filter((o) => !this.relations.has(o) && !this.ignored.has(o) && (this.retryAt.get(o) ?? 0) <= index);
    // Names as of when the lock was first seen: a table renamed later keeps the name it had.
    if (unknown.length > 0) await this.resolve(unknown, false);
    // A known relation's new run is named as it is now: after `ALTER TABLE users_v2 RENAME TO
    // users`, a CREATE INDEX on it locks "users", which is what the application sees.
    if (renamed.length > 0) await this.nameRuns(renamed);
  }

  private async sampleProbeWaits(at: number): Promise<void> {
    const { rows } = await this.client.query<{
      pid: number;
      event: string;
      oid: string | null;
      blockers: number[];
      waiting_blockers: number[];
    }>(PROBE_WAITS_SQL, [this.probePids]);
    for (const r of rows) {
      this.probeWaits.push({
        at,
        pid: r.pid,
        event: r.event,
        oid: r.oid === null ? null : Number(r.oid),
        blockers: r.blockers,
        waitingBlockers: r.waiting_blockers,
      });
    }
  }

  private async nameRuns(runs: LockRun[]): Promise<void> {
    const { rows } = await this.client.query<{ oid: string; name: string; table_name: string; kind: string }>(
      RESOLVE_RELATIONS_SQL,
      [[...new Set(runs.map((r) => r.oid))]],
    );
    const byOid = new Map(
      rows.map((r) => [Number(r.oid), { name: r.name, table: r.table_name, kind: r.kind }]),
    );
    for (const run of runs) {
      const name = byOid.get(run.oid);
      if (name) run.name = name;
    }
  }

  /** Name new relations; system ones are ignored. Invisible ones (created in an open transaction) wait for the end. */
  private async resolve(oids: number[], final = true): Promise<void> {
    const todo = oids.filter((o) => !this.relations.has(o) && !this.ignored.has(o));
    if (todo.length === 0) return;
    const { rows } = await this.client.query<{
      oid: string;
      name: string;
      table_name: string;
      kind: string;
      user_relation: boolean;
    }>(RESOLVE_RELATIONS_SQL, [todo]);
    for (const r of rows) {
      if (r.user_relation)
        this.relations.set(Number(r.oid), { name: r.name, table: r.table_name, kind: r.kind });
      else this.ignored.add(Number(r.oid));
    }
    for (const o of todo) {
      if (this.relations.has(o) || this.ignored.has(o)) continue;
      // Created and dropped within the migration: nobody else could have used it.
      if (final) this.ignored.add(o);
      else this.retryAt.set(o, this.samples.length + RETRY_INVISIBLE_EVERY_SAMPLES);
    }
  }
}
