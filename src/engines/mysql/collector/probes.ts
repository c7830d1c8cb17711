/**
 * The application, standing in, on MySQL/MariaDB: per table a keyed SELECT loop and a keyed
 * rolled-back UPDATE loop (probe.ts), each on its own connection. Lock waits are bounded per
 * statement: lock_wait_timeout and innodb_lock_wait_timeout on every probe session, and
 * max_statement_time (MariaDB) or max_execution_time (MySQL) on the readers. Before the migration
 * each probe runs a few times alone; the median of those runs is the statement's own time and is
 * subtracted from every later run, so what is reported is the time it waited (as the PostgreSQL
 * probes do). Runs that overlap the migration are counted; the rest are not.
 */

import {
  newTally,
  type ProbeTally,
  type RawWait,
  statsOf,
  type WaitCauseOf,
} from '../../../collector/probe-stats.js';
import type { ProbeStats, ProbeWait } from '../../../result.js';
import { connectMysql, type MysqlConnection, type MysqlSettings } from '../client.js';
import {
  type ProbeKind,
  type ProbeResult,
  type ProbeTarget,
  prepareProbeConnection,
  runProbe,
  sampleKeys,
} from '../probe.js';

/** A probe that waited longer than this was blocked; below it is round trip and scheduling noise. */
export const BLOCKED_WAIT_FLOOR_MS = 5;
/** Pause between two runs of one probe, so the probes do not saturate small machines. */
export const PROBE_PAUSE_MS = 20;
/** Runs of each probe before the migration; their median is the statement's own time. */
export const BASELINE_RUNS = 3;
/** Keys each probe cycles through (the table's first, in key order). */
export const PROBE_KEYS = 20;
/** At the end, how long a probe may take to count its first run for the migration. */
export const STOP_GRACE_MS = 1000;

/** MariaDB bounds a statement in seconds (fractions allowed); MySQL 8 bounds SELECTs in ms. */
export const MARIADB_STATEMENT_TIME_SQL = 'SET SESSION max_statement_time = ?';
export const MYSQL_EXECUTION_TIME_SQL = 'SET SESSION max_execution_time = ?';

export interface MysqlProbeOptions {
  /** Longest a probe waits for a lock (and a read runs) before it gives up, ms. */
  timeoutMs: number;
  pauseMs?: number;
}

const median = (xs: number[]): number => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function boundReads(c: MysqlConnection, timeoutMs: number): Promise<void> {
  try {
    await c.query(MARIADB_STATEMENT_TIME_SQL, [timeoutMs / 1000]);
  } catch {
    await c.query(MYSQL_EXECUTION_TIME_SQL, [Math.ceil(timeoutMs)]);
  }
}

class Probe {
  readonly tally: ProbeTally = newTally();
  private readonly ownTime: number[] = [];
  private loop: Promise<void> | null = null;
  private stopping = false;
  private firstCounted: (() => void) | null = null;

  constructor(
    readonly kind: ProbeKind,
    readonly target: ProbeTarget,
    readonly relation: string,
    private readonly c: MysqlConnection,
    private readonly keys: unknown[],
    private readonly clock: { now(): number },
    private readonly window: { start: number },
    private readonly pauseMs: number,
  ) {}

  get connection(): number {
    return this.c.threadId;
  }

  async baseline(): Promise<void> {
    for (let i = 0; i < BASELINE_RUNS; i++) {
      const r = await this.once(i);
      if (r.outcome === 'ok') this.ownTime.push(r.end - r.start);
    }
  }

  start(): void {
    this.loop = (async () => {
      for (let i = 0; !this.stopping; i++) {
        const r = await this.once(i);
        this.count(r);
        if (!this.stopping) await sleep(this.pauseMs);
      }
    })();
  }

  /** Resolves once a run has counted for the migration (or after `ms`), so a short migration is measured too. */
  countedOnce(ms: number): Promise<void> {
    if (this.tally.probes > 0 || this.stopping || this.loop === null) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.firstCounted = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Stop looping and close the connection (again: nothing). */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await this.loop;
    await this.c.end().catch(() => this.c.destroy());
  }

  private once(i: number): Promise<ProbeResult> {
    return runProbe(this.c, this.kind, this.target, this.keys[i % this.keys.length], this.clock);
  }

  /** Count a run that overlapped the migration: its time beyond the baseline is its wait. */
  private count(r: ProbeResult): void {
    // Runs ending once the migration began count (one caught behind its first lock is its wait).
    if (r.end <= this.window.start) return;
    const t = this.tally;
    t.probes++;
    this.firstCounted?.();
    this.firstCounted = null;
    const deadlock = r.outcome === 'error' && /deadlock/i.test(r.error ?? '');
    if (r.outcome === 'error' && !deadlock) {
      t.errors++;
      t.firstError ??= r.error;
      return;
    }
    t.measured++;
    if (r.outcome === 'timeout') t.timeouts++;
    if (deadlock) t.deadlocks++;
    const wait = Math.max(0, r.end - r.start - median(this.ownTime));
    t.maxWait = Math.max(t.maxWait, wait);
    if (wait > 100) t.over100++;
    if (wait > BLOCKED_WAIT_FLOOR_MS || deadlock) {
      t.waits.push({
        pid: this.connection,
        relation: this.relation,
        kind: this.kind,
        statement: this.kind === 'read' ? 'read' : 'update',
        start: r.end - wait,
        end: r.end,
        timedOut: r.outcome === 'timeout',
        deadlock,
      });
    }
  }
}

export class MysqlProbeSet {
  /** Runs ending after `start` count (as the PostgreSQL probes' migration phase). */
  private readonly window = { start: Number.POSITIVE_INFINITY };
  private readonly probes: Probe[] = [];

  /** Connect a read and a write probe per target, run their baselines, and leave them looping. */
  static async start(
    settings: MysqlSettings,
    targets: ReadonlyArray<{ relation: string; target: ProbeTarget }>,
    clock: { now(): number },
    options: MysqlProbeOptions,
  ): Promise<MysqlProbeSet> {
    const set = new MysqlProbeSet();
    try {
      for (const { relation, target } of targets) {
        for (const kind of ['read', 'write'] as const) {
          const c = await connectMysql(settings);
          await prepareProbeConnection(c, options.timeoutMs / 1000);
          if (kind === 'read') await boundReads(c, options.timeoutMs);
          const keys = await sampleKeys(c, target, PROBE_KEYS);
          const probe = new Probe(
            kind,
            target,
            relation,
            c,
            keys.length > 0 ? keys : [null],
            clock,
            set.window,
            options.pauseMs ?? PROBE_PAUSE_MS,
          );
          set.probes.push(probe);
        }
      }
      for (const p of set.probes) await p.baseline();
    } catch (err) {
      await set.stop();
      throw err;
    }
    for (const p of set.probes) p.start();
    return set;
  }

  /** The probes' connection ids (not the application's: the sampler may ignore nothing). */
  get connections(): number[] {
    return this.probes.map((p) => p.connection);
  }

  beginMigration(at: number): void {
    this.window.start = at;
  }

  /** Once each probe has counted a run (so a migration of a few ms is measured too), stop them all. */
  async stop(): Promise<void> {
    if (Number.isFinite(this.window.start)) {
      await Promise.all(this.probes.map((p) => p.countedOnce(STOP_GRACE_MS)));
    }
    await Promise.all(this.probes.map((p) => p.stop()));
  }

  /** blocking.reads / blocking.writes / blocking.tables, as the PostgreSQL probes give them. */
  blocking(causeOf: WaitCauseOf): {
    reads: ProbeStats;
    writes: ProbeStats;
    tables: Record<string, { reads: ProbeStats; writes: ProbeStats }>;
  } {
    const of = (kind: ProbeKind, relation?: string) =>
      this.probes.filter((p) => p.kind === kind && (relation === undefined || p.relation === relation));
    const stats = (ps: Probe[]) =>
      statsOf(
        ps.map((p) => p.tally),
        causeOf,
      );
    const tables: Record<string, { reads: ProbeStats; writes: ProbeStats }> = {};
    for (const relation of new Set(this.probes.map((p) => p.relation))) {
      tables[relation] = { reads: stats(of('read', relation)), writes: stats(of('write', relation)) };
    }
    return { reads: stats(of('read')), writes: stats(of('write')), tables };
  }

  waits(): RawWait[] {
    return this.probes.flatMap((p) => p.tally.waits).sort((a, b) => a.start - b.start);
  }

  timeline(relative: (t: number) => number, causeOf: WaitCauseOf): ProbeWait[] {
    return this.waits().map((w) => {
      const cause = causeOf(w);
      return {
        relation: w.relation,
        kind: w.kind,
        start_ms: relative(w.start),
        wait_ms: Math.round((w.end - w.start) * 10) / 10,
        timed_out: w.timedOut,
        ...(w.deadlock ? { deadlock: true } : {}),
        ...(cause ? { cause } : {}),
      };
    });
  }
}
