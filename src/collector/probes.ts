/**
 * Probes: the application, standing in. For each relation a read probe (a keyed SELECT through
 * the planner), and for each table a write probe (the table and row locks of an UPDATE, plus now
 * and then a real rolled-back UPDATE), each on its own connection, in a loop for as long as the
 * migration runs. Before the migration each probe runs a few times on its own: that baseline is
 * the statement's own execution time, subtracted from every later run, so what is reported is
 * the time the statement waited. Probes change no data; the little they write (row lock bits,
 * WAL, a dead row version per cross-check) is counted so the caller can keep it apart.
 */
import type pg from 'pg';
import type { ProbeStats, ProbeWait } from '../result.js';
import { connect } from '../util/pg.js';
import { SQLSTATE } from '../util/sqlstate.js';
import { type Clock, round1 } from './clock.js';
import { type ProbeStatement, probeSessionConfig, probeSql, serverElapsed } from './probe-sql.js';
import { emptyProbeStats, newTally, type ProbeTally, statsOf, type WaitCauseOf } from './probe-stats.js';
import type { ProbeTarget, UnmeasuredRelation } from './probe-targets.js';

export type { RawWait } from './probe-stats.js';
export { emptyProbeStats, unionLength } from './probe-stats.js';

/** A probe that waited longer than this was blocked; below it is round-trip and scheduling noise. */
export const BLOCKED_WAIT_FLOOR_MS = 5;
/** Pause between two probes of one connection, so a few dozen probes do not saturate 2 cores. */
export const PROBE_PAUSE_MS = 20;
/** How often a write probe runs the real UPDATE cross-check instead of the lock-only form. */
export const UPDATE_CROSS_CHECK_EVERY_MS = 1000;
/** Runs of each statement before the migration, whose median is the statement's own time. */
export const BASELINE_RUNS = 3;
/** After an error (e.g. the table is missing mid-swap), back off a little longer. */
const PROBE_ERROR_PAUSE_MS = 20;
/** When stopping, how long in-flight probes may finish before they are cancelled. */
const STOP_GRACE_MS = 1000;

const ROLLBACK_SQL = 'ROLLBACK';
const CANCEL_SQL = 'SELECT pg_cancel_backend(pid) FROM unnest($1::int[]) AS t(pid)';
const WAL_LSN_SQL = 'SELECT pg_current_wal_insert_lsn()::text AS lsn';
const WAL_DIFF_SQL = 'SELECT pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn)::float8 AS bytes';

export type ProbeKind = 'read' | 'write';
type Phase = 'baseline' | 'idle' | 'migration';

export interface ProbeResults {
  blocking: {
    reads: ProbeStats;
    writes: ProbeStats;
    tables: Record<string, { reads: ProbeStats; writes: ProbeStats }>;
  };
  waits: ProbeWait[];
}

/** What the probes themselves wrote, to be kept apart from the migration's figures. */
export interface ProbeFootprint {
  walBytes: number;
  /** Per relation: dead row versions left by rolled-back cross-check UPDATEs. */
  deadTuples: Record<string, number>;
}

const median = (xs: readonly number[]): number => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

class Probe {
  readonly tally: ProbeTally = newTally();
  /** Every run in any phase, for the WAL and dead-tuple footprint. */
  readonly runs: Record<ProbeStatement, number> = { read: 0, write: 0, update: 0 };
  readonly updatesApplied = { count: 0 };
  private readonly ownTime: Record<ProbeStatement, number[]> = { read: [], write: [], update: [] };
  private loop: Promise<void> | null = null;
  private stopping = false;
  private inFlight = false;
  private wake: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastUpdate = Number.NEGATIVE_INFINITY;
  private firstCounted: (() => void) | null = null;

  constructor(
    readonly client: pg.Client,
    readonly target: ProbeTarget,
    readonly kind: ProbeKind,
    private readonly clock: Clock,
    private readonly phase: () => Phase,
  ) {}

  get pid(): number {
    return (this.client as unknown as { processID: number }).processID;
  }

  get busy(): boolean {
    return this.inFlight;
  }

  get crossChecks(): boolean {
    return this.kind === 'write' && this.target.updatable !== null;
  }

  /** Run `statement` `times` times back to back (the baseline), then nothing. */
  async runTimes(statement: ProbeStatement, times: number): Promise<void> {
    for (let i = 0; i < times && !this.stopping; i++) await this.probeOnce(statement);
  }

  startLoop(): void {
    this.loop = this.run();
  }

  /** Resolves once a run has counted for the migration (or after `ms`), so a short migration is measured too. */
  countedOnce(ms: number): Promise<void> {
    if (this.tally.probes > 0 || this.stopping) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.firstCounted = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  requestStop(): void {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
  }

  finished(): Promise<void> {
    return this.loop ?? Promise.resolve();
  }

  private async run(): Promise<void> {
    let pause = PROBE_PAUSE_MS;
    while (!this.stopping) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, pause);
      });
      this.wake = null;
      this.timer = null;
      if (this.stopping) break;
      const now = this.clock.now();
      const update = this.crossChecks && now - this.lastUpdate >= UPDATE_CROSS_CHECK_EVERY_MS;
      pause = await this.probeOnce(update ? 'update' : this.kind);
    }
  }

  private randomKey(): string | null {
    const { keys } = this.target;
    return keys.length ? keys[Math.floor(Math.random() * keys.length)]! : null;
  }

  /** Returns how long to pause before the next probe. */
  private async probeOnce(statement: ProbeStatement): Promise<number> {
    this.inFlight = true;
    if (statement === 'update') this.lastUpdate = this.clock.now();
    const sql = probeSql(this.target, statement, this.randomKey());
    const start = this.clock.now();
    let outcome: 'ok' | 'timeout' | 'error' | 'cancelled' | 'deadlock' = 'ok';
    let elapsed: number | null = null;
    let message: string | null = null;
    try {
      elapsed = serverElapsed(await this.client.query(sql));
    } catch (err) {
      const code = (err as { code?: string }).code;
      outcome =
        code === SQLSTATE.LOCK_NOT_AVAILABLE
          ? 'timeout'
          : code === SQLSTATE.DEADLOCK_DETECTED
            ? 'deadlock'
            : code === SQLSTATE.QUERY_CANCELED && this.stopping
              ? 'cancelled'
              : 'error';
      message = (err as Error).message;
      // No SQLSTATE: the connection itself is gone; this probe cannot measure anything more.
      if (!/^[0-9A-Z]{5}$/.test(code ?? '')) this.stopping = true;
      await this.client.query(ROLLBACK_SQL).catch(() => undefined);
    }
    const end = this.clock.now();
    this.inFlight = false;
    // The phase when the run ended: a run sent just before the migration began and caught behind
    // its first lock is a wait of the migration's.
    const phase = this.phase();
    this.runs[statement]++;
    if (statement === 'update' && outcome === 'ok') this.updatesApplied.count++;
    if (phase === 'baseline') {
      if (outcome === 'ok' && elapsed !== null) this.ownTime[statement].push(elapsed);
    } else if (phase === 'migration' && outcome !== 'cancelled') {
      // Timed-out or failed probes return no timestamps: the round trip is then the time taken.
      const taken = Math.min(elapsed ?? end - start, end - start);
      const wait = Math.max(0, taken - median(this.ownTime[statement]));
      this.record(outcome, wait, end, statement, message);
    }
    return outcome === 'error' ? PROBE_ERROR_PAUSE_MS : PROBE_PAUSE_MS;
  }

  private record(
    outcome: 'ok' | 'timeout' | 'error' | 'deadlock',
    wait: number,
    end: number,
    statement: ProbeStatement,
    message: string | null,
  ): void {
    const t = this.tally;
    t.probes++;
    this.firstCounted?.();
    this.firstCounted = null;
    if (outcome === 'error') {
      t.errors++;
      t.firstError ??= message;
      return;
    }
    t.measured++;
    if (outcome === 'timeout') t.timeouts++;
    if (outcome === 'deadlock') t.deadlocks++;
    t.maxWait = Math.max(t.maxWait, wait);
    if (wait > 100) t.over100++;
    if (wait > BLOCKED_WAIT_FLOOR_MS || outcome === 'deadlock') {
      t.waits.push({
        pid: this.pid,
        relation: this.target.relation,
        kind: this.kind,
        statement,
        start: end - wait,
        end,
        timedOut: outcome === 'timeout',
        deadlock: outcome === 'deadlock',
      });
    }
  }
}

export class ProbeSet {
  private readonly probes: Probe[] = [];
  private phase: Phase = 'baseline';
  private baselineWal = 0;
  private walPerRun: Record<ProbeStatement, number> = { read: 0, write: 0, update: 0 };
  private baselineRuns: Record<ProbeStatement, number> = { read: 0, write: 0, update: 0 };

  private constructor(
    private readonly clock: Clock,
    readonly targets: readonly ProbeTarget[],
    private readonly unmeasured: readonly UnmeasuredRelation[],
  ) {}

  /**
   * Connect the probes, run each statement a few times before the migration (its own time, and
   * the WAL a run writes, measured with `control`), then loop. Cleans up if any step fails.
   */
  static async start(
    config: pg.ClientConfig,
    clock: Clock,
    plan: { targets: readonly ProbeTarget[]; unmeasured: readonly UnmeasuredRelation[] },
    lockTimeoutMs: number,
    register: (client: pg.Client) => void,
    control: pg.Client,
  ): Promise<ProbeSet> {
    const set = new ProbeSet(clock, plan.targets, plan.unmeasured);
    const pairs = plan.targets.flatMap((t) =>
      (t.writes ? (['read', 'write'] as const) : (['read'] as const)).map((kind) => ({ t, kind })),
    );
    await Promise.all(
      pairs.map(async ({ t, kind }) => {
        const client = await connect(probeSessionConfig(config, lockTimeoutMs), 'vers-db:probe');
        register(client);
        set.probes.push(new Probe(client, t, kind, clock, () => set.phase));
      }),
    );
    await set.measureBaseline(control);
    set.phase = 'idle';
    for (const p of set.probes) p.startLoop();
    return set;
  }

  /** Each statement BASELINE_RUNS times; the WAL written by the lock-only runs and by the UPDATEs, apart. */
  private async measureBaseline(control: pg.Client): Promise<void> {
    const lsn = async () => (await control.query<{ lsn: string }>(WAL_LSN_SQL)).rows[0]!.lsn;
    const diff = async (a: string, b: string) =>
      Number((await control.query<{ bytes: number }>(WAL_DIFF_SQL, [b, a])).rows[0]?.bytes ?? 0);
    const l0 = await lsn();
    await Promise.all(this.probes.map((p) => p.runTimes(p.kind, BASELINE_RUNS)));
    const l1 = await lsn();
    const updaters = this.probes.filter((p) => p.crossChecks);
    await Promise.all(updaters.map((p) => p.runTimes('update', BASELINE_RUNS)));
    const l2 = await lsn();
    const lockRuns = this.total('read') + this.total('write');
    const updateRuns = this.total('update');
    const lockWal = await diff(l0, l1);
    const updateWal = await diff(l1, l2);
    this.baselineWal = lockWal + updateWal;
    this.baselineRuns = { read: this.total('read'), write: this.total('write'), update: updateRuns };
    const perLockRun = lockRuns > 0 ? lockWal / lockRuns : 0;
    this.walPerRun = {
      read: perLockRun,
      write: perLockRun,
      update: updateRuns > 0 ? updateWal / updateRuns : 0,
    };
  }

  private total(statement: ProbeStatement): number {
    return this.probes.reduce((n, p) => n + p.runs[statement], 0);
  }

  /** From now on every probe counts: the migration is about to start. */
  beginMigration(): void {
    this.phase = 'migration';
  }

  get pids(): number[] {
    return this.probes.map((p) => p.pid);
  }

  /** Stop looping; probes still waiting after a grace period are cancelled through `control`. */
  async stop(control: pg.Client | null): Promise<void> {
    if (this.phase === 'migration') await Promise.all(this.probes.map((p) => p.countedOnce(STOP_GRACE_MS)));
    for (const p of this.probes) p.requestStop();
    const all = Promise.all(this.probes.map((p) => p.finished()));
    let graceTimer: NodeJS.Timeout | undefined;
    const grace = new Promise<'late'>((resolve) => {
      graceTimer = setTimeout(() => resolve('late'), STOP_GRACE_MS);
    });
    const first = await Promise.race([all.then(() => 'done' as const), grace]);
    clearTimeout(graceTimer);
    if (first === 'late') {
      const stuck = this.probes.filter((p) => p.busy).map((p) => p.pid);
      if (control && stuck.length > 0) await control.query(CANCEL_SQL, [stuck]).catch(() => undefined);
      await all;
    }
  }

  /** WAL and dead row versions the probes themselves produced, from the baseline's measured rates. */
  footprint(): ProbeFootprint {
    const later = (s: ProbeStatement) => this.total(s) - this.baselineRuns[s];
    const walBytes =
      this.baselineWal +
      (['read', 'write', 'update'] as const).reduce((n, s) => n + later(s) * this.walPerRun[s], 0);
    const deadTuples: Record<string, number> = {};
    for (const p of this.probes) {
      if (p.updatesApplied.count > 0)
        deadTuples[p.target.relation] = (deadTuples[p.target.relation] ?? 0) + p.updatesApplied.count;
    }
    return { walBytes: Math.round(walBytes), deadTuples };
  }

  results(causeOf: WaitCauseOf): ProbeResults {
    const tables: ProbeResults['blocking']['tables'] = {};
    const of = (t: ProbeTarget, kind: ProbeKind) =>
      this.probes.filter((p) => p.target === t && p.kind === kind).map((p) => p.tally);
    for (const t of this.targets) {
      tables[t.relation] = {
        reads: statsOf(of(t, 'read'), causeOf),
        writes: t.writes
          ? statsOf(of(t, 'write'), causeOf)
          : { ...emptyProbeStats(), status: 'not_applicable' },
      };
    }
    for (const u of this.unmeasured) {
      const unmeasured = { ...emptyProbeStats(), status: 'unmeasured' as const, unmeasured_reason: u.reason };
      tables[u.relation] = { reads: unmeasured, writes: { ...unmeasured } };
    }
    const waits: ProbeWait[] = this.probes
      .flatMap((p) => p.tally.waits)
      .map((w) => {
        const cause = causeOf(w);
        return {
          relation: w.relation,
          kind: w.kind,
          start_ms: this.clock.relative(w.start),
          wait_ms: round1(w.end - w.start),
          timed_out: w.timedOut,
          ...(w.deadlock ? { deadlock: true } : {}),
          ...(cause ? { cause } : {}),
        };
      })
      .sort((a, b) => a.start_ms - b.start_ms);
    const ofKind = (kind: ProbeKind) => this.probes.filter((p) => p.kind === kind).map((p) => p.tally);
    return {
      blocking: {
        reads: statsOf(ofKind('read'), causeOf),
        writes: statsOf(ofKind('write'), causeOf),
        tables,
      },
      waits,
    };
  }
}
