/**
 * Runs the application's workload against the branch: `concurrency` sessions issue the file's
 * statements (chosen by weight) at the stated rate, through a baseline window before the
 * migration, during it, and a window after it. Reads run as they are; writes run in a transaction
 * that is rolled back, unless marked to commit, in which case what they returned is recorded so
 * that it can be looked for after the migration.
 */
import type pg from 'pg';
import { sleep } from '../collector/clock.js';
import { connect } from '../util/pg.js';
import { SQLSTATE } from '../util/sqlstate.js';
import type { TableRef, WorkloadSpec, WorkloadStatement } from './file.js';
import { resolveParams, resolveTable, type ValueSource } from './params.js';
import type { Execution, Phase } from './stats.js';

export const APP_WORKLOAD = 'vers-db:workload';
const WAL_LSN_SQL = 'SELECT pg_current_wal_insert_lsn()::text AS lsn';
const WAL_DIFF_SQL = 'SELECT pg_wal_lsn_diff($2::pg_lsn, $1::pg_lsn)::float8 AS bytes';
const SET_TIMEOUT_SQL = "SELECT set_config('statement_timeout', $1, false)";
/** Every value comes back as the server's text, so it can be compared exactly afterwards. */
const TEXT_TYPES = { getTypeParser: () => (value: string) => value };

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

export interface StartWorkloadOptions {
  connection: pg.ClientConfig;
  spec: WorkloadSpec;
  clock: Clock;
  /** Draws keys and reads WAL positions; idle otherwise. */
  control: pg.Client;
  /** Register each session so cancellation reaches it. */
  adopt?: (client: pg.Client) => void;
}

export class WorkloadRun {
  private phase: Phase = 'baseline';
  private stopping = false;
  private nextSlot = 0;
  private readonly executions: Execution[] = [];
  private readonly committed: CommittedWrite[] = [];
  private readonly marks: Partial<Record<Phase | 'end', number>> = {};
  private readonly deadTuples: Record<string, number> = {};
  private workers: Promise<void>[] = [];
  private readonly clients = new Set<pg.Client>();
  private walStart: string | null = null;
  private walBytesBaseline: number | null = null;
  private baselineWrites = 0;
  private lostSessions = 0;
  private inFlight = 0;
  private gate: { wait: Promise<void>; open: () => void } | null = null;
  private readonly picks: WorkloadStatement[];

  private constructor(
    private readonly o: StartWorkloadOptions,
    private readonly sources: Map<number, ValueSource[]>,
    private readonly targets: Map<number, string>,
  ) {
    this.picks = o.spec.statements.flatMap((s) => Array<WorkloadStatement>(s.weight).fill(s));
  }

  /** Draw keys, open the sessions and start issuing statements: the baseline window begins. */
  static async start(o: StartWorkloadOptions): Promise<WorkloadRun> {
    const sources = await resolveParams(o.control, o.spec);
    const targets = new Map<number, string>();
    for (const s of o.spec.statements) {
      const t = s.target ? await resolveTable(o.control, s.target) : null;
      if (t) targets.set(s.index, t.name);
    }
    const run = new WorkloadRun(o, sources, targets);
    const clients: pg.Client[] = [];
    for (let i = 0; i < o.spec.concurrency; i++) clients.push(await run.open());
    run.walStart = await walLsn(o.control);
    run.marks.baseline = o.clock.now();
    run.nextSlot = o.clock.now();
    run.workers = clients.map((c) => run.work(c));
    return run;
  }

  /** Let the baseline window run its length, and measure the WAL the workload writes alone. */
  async baselineWindow(): Promise<void> {
    await sleep(Math.max(0, this.o.spec.baselineMs - (this.o.clock.now() - this.marks.baseline!)));
    if (this.walStart) {
      const end = await walLsn(this.o.control);
      this.walBytesBaseline = end ? await walDiff(this.o.control, this.walStart, end) : null;
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
    await Promise.all([...this.clients].map((c) => c.end().catch(() => undefined)));
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

  private async open(): Promise<pg.Client> {
    const client = await connect(this.o.connection, APP_WORKLOAD);
    await client.query(SET_TIMEOUT_SQL, [String(this.o.spec.timeoutMs)]);
    this.clients.add(client);
    this.o.adopt?.(client);
    return client;
  }

  /** The next start time: one slot per 1/rate s, never catching up in bursts after a stall. */
  private claimSlot(): number {
    const now = this.o.clock.now();
    if (this.o.spec.rate === 0) return now;
    const t = Math.max(this.nextSlot, now);
    this.nextSlot = t + 1000 / this.o.spec.rate;
    return t;
  }

  private async work(first: pg.Client): Promise<void> {
    let client: pg.Client | null = first;
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

  private async reconnect(old: pg.Client): Promise<pg.Client | null> {
    this.clients.delete(old);
    await old.end().catch(() => undefined);
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
  private async execute(client: pg.Client, s: WorkloadStatement): Promise<boolean> {
    const values = (this.sources.get(s.index) ?? []).map((f) => f());
    const query = { text: s.sql, values, types: TEXT_TYPES };
    const rollback = s.kind === 'write' && !s.commit;
    let start = this.o.clock.now();
    let error: string | null = null;
    let result: pg.QueryResult | null = null;
    try {
      if (rollback) {
        await client.query('BEGIN');
        start = this.o.clock.now();
      }
      result = await client.query(query);
    } catch (err) {
      error = (err as { code?: string }).code ?? 'connection';
    }
    const end = this.o.clock.now();
    const phase = this.phaseOf(start, end);
    if (rollback && error !== 'connection') await client.query('ROLLBACK').catch(() => undefined);
    this.executions.push({
      statement: s.index,
      phase,
      start,
      end,
      error,
      timedOut: error === SQLSTATE.QUERY_CANCELED,
    });
    if (result) this.record(s, result, phase, start, end, rollback);
    return error !== 'connection';
  }

  private record(
    s: WorkloadStatement,
    result: pg.QueryResult,
    phase: Phase,
    start: number,
    end: number,
    rolledBack: boolean,
  ): void {
    const rows = result.rowCount ?? 0;
    const target = this.targets.get(s.index);
    // Rolled back: the inserted or updated versions are dead. Committed: the old versions are.
    const dead = rolledBack
      ? s.command === 'insert' || s.command === 'update'
      : s.command === 'update' || s.command === 'delete';
    if (target && dead && rows > 0) this.deadTuples[target] = (this.deadTuples[target] ?? 0) + rows;
    if (!s.commit || !s.target) return;
    const columns = result.fields.map((f) => f.name);
    for (const row of result.rows as Record<string, string | null>[]) {
      this.committed.push({
        statement: s.index,
        phase,
        start,
        end,
        target: s.target,
        columns,
        values: columns.map((c) => row[c] ?? null),
      });
    }
  }
}

async function walLsn(client: pg.Client): Promise<string | null> {
  // A standby or a server without WAL functions: no WAL figure rather than a failed run.
  return client
    .query<{ lsn: string }>(WAL_LSN_SQL)
    .then((r) => r.rows[0]?.lsn ?? null)
    .catch(() => null);
}

async function walDiff(client: pg.Client, from: string, to: string): Promise<number | null> {
  return client
    .query<{ bytes: number }>(WAL_DIFF_SQL, [from, to])
    .then((r) => Math.max(0, Number(r.rows[0]?.bytes ?? 0)))
    .catch(() => null);
}
