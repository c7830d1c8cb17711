/**
 * Runs the application's workload against the branch: `concurrency` sessions issue the file's
 * statements (chosen by weight) at the stated rate, through a baseline window before the
 * migration, during it, and a window after it. Reads run as they are; writes run in a transaction
 * that is rolled back, unless marked to commit, in which case what they returned is recorded so
 * that it can be looked for after the migration.
 */
import type pg from 'pg';
import { sleep } from '../collector/clock.js';
import type { StatementRun, WorkloadDriver } from './driver.js';
import type { TableRef, WorkloadSpec, WorkloadStatement } from './file.js';
import { pgParamLookup, resolveParamsWith, type ValueSource } from './params.js';
import { PgWorkloadDriver } from './pg-driver.js';
import type { Execution, Phase } from './stats.js';

export type { StatementRun, WorkloadDriver } from './driver.js';
export { APP_WORKLOAD } from './pg-driver.js';

/** A committed write: what its RETURNING clause gave back. */
export interface CommittedWrite {
  statement: number;
  phase: Phase;
  start: number;
  end: number;
  target: TableRef;
  columns: string[];
  values: (string | null)[];
}

export interface WorkloadOutcome {
  spec: WorkloadSpec;
  executions: Execution[];
  committed: CommittedWrite[];
  /** Shared-clock times each phase began, and the end. */
  marks: Record<Phase | 'end', number>;
  /** Row versions the workload's own writes left dead, by table (rolled-back inserts and updates, committed updates and deletes). */
  deadTuples: Record<string, number>;
  /** WAL written during the baseline window (nothing but the workload runs then). */
  walBytesBaseline: number | null;
  /** Estimated WAL of the workload over the whole run: the baseline's bytes per write times the writes made. */
  walBytes: number | null;
  /** Sessions that could not reconnect after losing their connection. */
  lostSessions: number;
}

interface Clock {
  now(): number;
}

/** The engine-neutral start: a driver, the values each parameter draws, the tables writes target. */
export interface WorkloadRunParts<S> {
  driver: WorkloadDriver<S>;
  spec: WorkloadSpec;
  clock: Clock;
  sources: Map<number, ValueSource[]>;
  /** Statement index → the written table as the snapshots name it. */
  targets: Map<number, string>;
}

export interface StartWorkloadOptions {
  connection: pg.ClientConfig;
  spec: WorkloadSpec;
  clock: Clock;
  /** Draws keys and reads WAL positions; idle otherwise. */
  control: pg.Client;
  /** Register each session so cancellation reaches it. */
  adopt?: (client: pg.Client) => void;
}

// biome-ignore lint/suspicious/noExplicitAny: the session type is the driver's own
export class WorkloadRun<S = any> {
  private phase: Phase = 'baseline';
  private stopping = false;
  private nextSlot = 0;
  private readonly executions: Execution[] = [];
  private readonly committed: CommittedWrite[] = [];
  private readonly marks: Partial<Record<Phase | 'end', number>> = {};
  private readonly deadTuples: Record<string, number> = {};
  private workers: Promise<void>[] = [];
  private readonly clients = new Set<S>();
  private walStart: string | null = null;
  private walBytesBaseline: number | null = null;
  private baselineWrites = 0;
  private lostSessions = 0;
  private inFlight = 0;
  private gate: { wait: Promise<void>; open: () => void } | null = null;
  private readonly picks: WorkloadStatement[];

  private readonly driver: WorkloadDriver<S>;
  private readonly sources: Map<number, ValueSource[]>;
  private readonly targets: Map<number, string>;
  private readonly o: { spec: WorkloadSpec; clock: Clock };

  private constructor(parts: WorkloadRunParts<S>) {
    this.driver = parts.driver;
    this.sources = parts.sources;
    this.targets = parts.targets;
    this.o = { spec: parts.spec, clock: parts.clock };
    this.picks = parts.spec.statements.flatMap((s) => Array<WorkloadStatement>(s.weight).fill(s));
  }

  /** PostgreSQL: draw keys, open the sessions and start issuing statements: the baseline window begins. */
  static async start(o: StartWorkloadOptions): Promise<WorkloadRun<pg.Client>> {
    const lookup = pgParamLookup(o.control);
    const sources = await resolveParamsWith(lookup, o.spec);
    const targets = new Map<number, string>();
    for (const s of o.spec.statements) {
      const t = s.target ? await lookup.resolveTable(s.target) : null;
      if (t) targets.set(s.index, t.name);
    }
    const driver = new PgWorkloadDriver(o.connection, o.spec, o.control, o.clock, o.adopt);
    return WorkloadRun.begin({ driver, spec: o.spec, clock: o.clock, sources, targets });
  }

  /** Any engine: open the sessions and start issuing statements: the baseline window begins. */
  static async begin<T>(parts: WorkloadRunParts<T>): Promise<WorkloadRun<T>> {
    const run = new WorkloadRun<T>(parts);
    const sessions: T[] = [];
    try {
      for (let i = 0; i < parts.spec.concurrency; i++) sessions.push(await run.open());
    } catch (err) {
      await Promise.all(sessions.map((c) => parts.driver.close(c).catch(() => undefined)));
      throw err;
    }
    run.walStart = await parts.driver.logPosition();
    run.marks.baseline = parts.clock.now();
    run.nextSlot = parts.clock.now();
    run.workers = sessions.map((c) => run.work(c));
    return run;
  }

  /** Let the baseline window run its length, and measure the WAL the workload writes alone. */
  async baselineWindow(): Promise<void> {
    await sleep(Math.max(0, this.o.spec.baselineMs - (this.o.clock.now() - this.marks.baseline!)));
    if (this.walStart) {
      const end = await this.driver.logPosition();
      this.walBytesBaseline = end ? await this.driver.logBytes(this.walStart, end) : null;
    }
    this.baselineWrites = this.executions.filter((e) => this.isWrite(e.statement) && !e.error).length;
  }

  /**
   * Hold new statements and wait for those running to finish: while the probes measure their own
   * WAL before the migration, none of it may be the workload's.
   */
  async pause(): Promise<void> {
    if (!this.gate) {
      let open = () => {};
      const wait = new Promise<void>((resolve) => {
        open = resolve;
      });
      this.gate = { wait, open };
    }
    while (this.inFlight > 0) await sleep(2);
  }

  resume(): void {
    const gate = this.gate;
    this.gate = null;
    // No burst of the slots missed while paused.
    this.nextSlot = this.o.clock.now();
    gate?.open();
  }

  mark(phase: Phase): void {
    this.phase = phase;
    this.marks[phase] = this.o.clock.now();
  }

  /** Let the after window (marked when the migration ended) run the rest of its length. */
  async afterWindow(): Promise<void> {
    if (this.phase !== 'after') this.mark('after');
    await sleep(Math.max(0, this.o.spec.afterMs - (this.o.clock.now() - this.marks.after!)));
  }

  /** Stop issuing statements, let those running finish (bounded by the statement timeout), close. */
  async stop(): Promise<WorkloadOutcome> {
    this.stopping = true;
    this.resume();
    await Promise.all(this.workers);
    const now = this.o.clock.now();
    this.marks.end = now;
    this.marks.migration ??= now;
    this.marks.after ??= now;
    await Promise.all([...this.clients].map((c) => this.driver.close(c).catch(() => undefined)));
    this.clients.clear();
    const writes = this.executions.filter((e) => this.isWrite(e.statement) && !e.error).length;
    const perWrite =
      this.walBytesBaseline !== null && this.baselineWrites > 0
        ? this.walBytesBaseline / this.baselineWrites
        : null;
    return {
      spec: this.o.spec,
      executions: this.executions,
      committed: this.committed,
      marks: this.marks as WorkloadOutcome['marks'],
      deadTuples: this.deadTuples,
      walBytesBaseline: this.walBytesBaseline,
      walBytes:
        this.walBytesBaseline === null
          ? null
          : Math.round(perWrite === null ? this.walBytesBaseline : perWrite * writes),
      lostSessions: this.lostSessions,
    };
  }

  private isWrite(index: number): boolean {
    return this.o.spec.statements[index - 1]?.kind === 'write';
  }

  private async open(): Promise<S> {
    const session = await this.driver.open();
    this.clients.add(session);
    return session;
  }

  /** The next start time: one slot per 1/rate s, never catching up in bursts after a stall. */
  private claimSlot(): number {
    const now = this.o.clock.now();
    if (this.o.spec.rate === 0) return now;
    const t = Math.max(this.nextSlot, now);
    this.nextSlot = t + 1000 / this.o.spec.rate;
    return t;
  }

  private async work(first: S): Promise<void> {
    let client: S | null = first;
    while (!this.stopping && client) {
      if (this.gate) await this.gate.wait;
      const wait = this.claimSlot() - this.o.clock.now();
      if (wait > 0) await sleep(wait);
      if (this.stopping) break;
      if (this.gate) continue;
      const s = this.picks[Math.floor(Math.random() * this.picks.length)]!;
      this.inFlight++;
      const ok = await this.execute(client, s).finally(() => {
        this.inFlight--;
      });
      if (!ok) client = await this.reconnect(client);
    }
  }

  private async reconnect(old: S): Promise<S | null> {
    this.clients.delete(old);
    await this.driver.close(old).catch(() => undefined);
    try {
      return await this.open();
    } catch {
      this.lostSessions++;
      return null;
    }
  }

  /**
   * A statement that overlapped the migration at all belongs to it: one sent just before and caught
   * behind its first lock waited on the migration, and so did one that waited until its COMMIT and
   * finished a moment after it.
   */
  private phaseOf(start: number, end: number): Phase {
    const { migration, after } = this.marks;
    if (migration === undefined || end < migration) return 'baseline';
    return after === undefined || start < after ? 'migration' : 'after';
  }

  /** Run one statement; false when the session is gone. */
  private async execute(session: S, s: WorkloadStatement): Promise<boolean> {
    const values = (this.sources.get(s.index) ?? []).map((f) => f());
    const rollback = s.kind === 'write' && !s.commit;
    const r = await this.driver.run(session, s, values, rollback);
    const phase = this.phaseOf(r.start, r.end);
    this.executions.push({
      statement: s.index,
      phase,
      start: r.start,
      end: r.end,
      error: r.error,
      timedOut: r.timedOut,
    });
    if (r.error === null) this.record(s, r, phase, rollback);
    return r.error !== 'connection';
  }

  private record(s: WorkloadStatement, r: StatementRun, phase: Phase, rolledBack: boolean): void {
    const target = this.targets.get(s.index);
    // Rolled back: the inserted or updated versions are dead. Committed: the old versions are.
    const dead = rolledBack
      ? s.command === 'insert' || s.command === 'update'
      : s.command === 'update' || s.command === 'delete';
    if (this.driver.leavesDeadTuples && target && dead && r.rowCount > 0) {
      this.deadTuples[target] = (this.deadTuples[target] ?? 0) + r.rowCount;
    }
    if (!s.commit || !s.target) return;
    for (const values of r.rows) {
      this.committed.push({
        statement: s.index,
        phase,
        start: r.start,
        end: r.end,
        target: s.target,
        columns: r.columns,
        values,
      });
    }
  }
}
