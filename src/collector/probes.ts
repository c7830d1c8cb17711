/**
 * Probes: for each table, one "application read" and one "application write" in a loop, each on
 * its own connection, for as long as the migration runs. A probe takes exactly the lock an
 * application query would (ACCESS SHARE for a read, ROW EXCLUSIVE for a write), changes nothing,
 * and measures how long it had to wait for it.
 */
import type pg from 'pg';
import type { ProbeStats, ProbeWait } from '../result.js';
import { connect, quoteIdent } from '../util/pg.js';
import { type Clock, round1 } from './clock.js';

/** A probe that waited longer than this was blocked; below it is round-trip and scheduling noise. */
export const BLOCKED_WAIT_FLOOR_MS = 5;
/** Pause between two probes of one connection, so a few dozen probes do not saturate 2 cores. */
export const PROBE_PAUSE_MS = 5;
/** After an error (e.g. the table is missing mid-swap), back off a little longer. */
const PROBE_ERROR_PAUSE_MS = 20;
/** When stopping, how long in-flight probes may finish before they are cancelled. */
const STOP_GRACE_MS = 1000;

const LOCK_NOT_AVAILABLE = '55P03';
const QUERY_CANCELED = '57014';
const ROLLBACK_SQL = 'ROLLBACK';
const CANCEL_SQL = 'SELECT pg_cancel_backend(pid) FROM unnest($1::int[]) AS t(pid)';

export type ProbeKind = 'read' | 'write';

export interface ProbeTarget {
  /** "schema.table" as shown in the result. */
  relation: string;
  schema: string;
  table: string;
}

interface ProbeTally {
  probes: number;
  timeouts: number;
  errors: number;
  maxWait: number;
  /** [start, end] of every probe that waited beyond the floor. */
  waits: Array<[number, number]>;
}

export interface ProbeResults {
  blocking: {
    reads: ProbeStats;
    writes: ProbeStats;
    tables: Record<string, { reads: ProbeStats; writes: ProbeStats }>;
  };
  waits: ProbeWait[];
}

/** Server time in ms, so the LOCK's wait is measured on the server, free of network and event-loop delays. */
const SERVER_MS = 'SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS t';

function probeSql(target: ProbeTarget, kind: ProbeKind, lockTimeoutMs: number): string {
  const mode = kind === 'read' ? 'ACCESS SHARE' : 'ROW EXCLUSIVE';
  const timeout = Math.max(1, Math.round(lockTimeoutMs));
  const table = `${quoteIdent(target.schema)}.${quoteIdent(target.table)}`;
  return `BEGIN; SET LOCAL lock_timeout = '${timeout}ms'; ${SERVER_MS}; LOCK TABLE ${table} IN ${mode} MODE; ${SERVER_MS}; ROLLBACK`;
}

/** The server-side wait from the two timestamps around LOCK, or null if they are not there. */
function serverWait(results: unknown): number | null {
  if (!Array.isArray(results)) return null;
  const times = results
    .map((r) => (r as { rows?: Array<{ t?: unknown }> }).rows?.[0]?.t)
    .filter((t): t is number => typeof t === 'number');
  return times.length === 2 ? times[1]! - times[0]! : null;
}

/** Total length of the union of intervals (overlapping waits of several tables count once). */
export function unionLength(intervals: ReadonlyArray<readonly [number, number]>): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let curStart = Number.NaN;
  let curEnd = Number.NaN;
  for (const [s, e] of sorted) {
    if (Number.isNaN(curStart) || s > curEnd) {
      if (!Number.isNaN(curStart)) total += curEnd - curStart;
      curStart = s;
      curEnd = e;
    } else curEnd = Math.max(curEnd, e);
  }
  if (!Number.isNaN(curStart)) total += curEnd - curStart;
  return total;
}

function statsOf(tallies: readonly ProbeTally[]): ProbeStats {
  return {
    max_wait_ms: round1(Math.max(0, ...tallies.map((t) => t.maxWait))),
    blocked_ms: round1(unionLength(tallies.flatMap((t) => t.waits))),
    probes: tallies.reduce((n, t) => n + t.probes, 0),
    timeouts: tallies.reduce((n, t) => n + t.timeouts, 0),
    errors: tallies.reduce((n, t) => n + t.errors, 0),
  };
}

export const emptyProbeStats = (): ProbeStats => ({
  max_wait_ms: 0,
  blocked_ms: 0,
  probes: 0,
  timeouts: 0,
  errors: 0,
});

class Probe {
  readonly tally: ProbeTally = { probes: 0, timeouts: 0, errors: 0, maxWait: 0, waits: [] };
  readonly timedOut: boolean[] = [];
  private readonly sql: string;
  private loop: Promise<void> | null = null;
  private stopping = false;
  private inFlight = false;
  private wake: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    readonly client: pg.Client,
    readonly target: ProbeTarget,
    readonly kind: ProbeKind,
    private readonly clock: Clock,
    lockTimeoutMs: number,
  ) {
    this.sql = probeSql(target, kind, lockTimeoutMs);
  }

  get pid(): number {
    return (this.client as unknown as { processID: number }).processID;
  }

  get busy(): boolean {
    return this.inFlight;
  }

  /** One probe now (so every probe is known to work before the migration starts), then loop. */
  async start(): Promise<void> {
    const pause = await this.probeOnce();
    this.loop = this.run(pause);
  }

  requestStop(): void {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
  }

  finished(): Promise<void> {
    return this.loop ?? Promise.resolve();
  }

  private async run(firstPause: number): Promise<void> {
    let pause = firstPause;
    while (!this.stopping) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, pause);
      });
      this.wake = null;
      this.timer = null;
      if (this.stopping) break;
      pause = await this.probeOnce();
    }
  }

  /** Returns how long to pause before the next probe. */
  private async probeOnce(): Promise<number> {
    this.inFlight = true;
    const start = this.clock.now();
    let outcome: 'ok' | 'timeout' | 'error' | 'cancelled' = 'ok';
    let measured: number | null = null;
    try {
      measured = serverWait(await this.client.query(this.sql));
    } catch (err) {
      const code = (err as { code?: string }).code;
      outcome =
        code === LOCK_NOT_AVAILABLE
          ? 'timeout'
          : code === QUERY_CANCELED && this.stopping
            ? 'cancelled'
            : 'error';
      // No SQLSTATE: the connection itself is gone; this probe cannot measure anything more.
      if (!/^[0-9A-Z]{5}$/.test(code ?? '')) this.stopping = true;
      await this.client.query(ROLLBACK_SQL).catch(() => undefined);
    }
    const end = this.clock.now();
    this.inFlight = false;
    // Timed-out or failed probes return no timestamps: the round trip is then the wait.
    const wait = Math.max(0, Math.min(measured ?? end - start, end - start));
    if (outcome !== 'cancelled') {
      this.tally.probes++;
      if (outcome === 'timeout') this.tally.timeouts++;
      if (outcome === 'error') this.tally.errors++;
      if (outcome !== 'error') {
        this.tally.maxWait = Math.max(this.tally.maxWait, wait);
        if (wait > BLOCKED_WAIT_FLOOR_MS) {
          this.tally.waits.push([end - wait, end]);
          this.timedOut.push(outcome === 'timeout');
        }
      }
    }
    return outcome === 'error' ? PROBE_ERROR_PAUSE_MS : PROBE_PAUSE_MS;
  }
}

export class ProbeSet {
  private readonly probes: Probe[] = [];

  private constructor(
    private readonly clock: Clock,
    readonly targets: readonly ProbeTarget[],
  ) {}

  /** Connect a read and a write probe per target and run each once. Cleans up if any fails. */
  static async start(
    config: pg.ClientConfig,
    clock: Clock,
    targets: readonly ProbeTarget[],
    lockTimeoutMs: number,
    register: (client: pg.Client) => void,
  ): Promise<ProbeSet> {
    const set = new ProbeSet(clock, targets);
    const pairs = targets.flatMap((t) => (['read', 'write'] as const).map((kind) => ({ t, kind })));
    await Promise.all(
      pairs.map(async ({ t, kind }) => {
        const client = await connect(config, 'vers-db:probe');
        register(client);
        set.probes.push(new Probe(client, t, kind, clock, lockTimeoutMs));
      }),
    );
    await Promise.all(set.probes.map((p) => p.start()));
    return set;
  }

  get pids(): number[] {
    return this.probes.map((p) => p.pid);
  }

  /** Stop looping; probes still waiting after a grace period are cancelled through `control`. */
  async stop(control: pg.Client | null): Promise<void> {
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

  results(): ProbeResults {
    const tables: ProbeResults['blocking']['tables'] = {};
    const waits: ProbeWait[] = [];
    for (const t of this.targets) {
      const of = (kind: ProbeKind) =>
        this.probes.filter((p) => p.target === t && p.kind === kind).map((p) => p.tally);
      tables[t.relation] = { reads: statsOf(of('read')), writes: statsOf(of('write')) };
    }
    for (const p of this.probes) {
      p.tally.waits.forEach(([start, end], i) => {
        waits.push({
          relation: p.target.relation,
          kind: p.kind,
          start_ms: this.clock.relative(start),
          wait_ms: round1(end - start),
          timed_out: p.timedOut[i] ?? false,
        });
      });
    }
    waits.sort((a, b) => a.start_ms - b.start_ms);
    const ofKind = (kind: ProbeKind) => this.probes.filter((p) => p.kind === kind).map((p) => p.tally);
    return { blocking: { reads: statsOf(ofKind('read')), writes: statsOf(ofKind('write')), tables }, waits };
  }
}
