/**
 * The MySQL/MariaDB lock sampler: every few milliseconds, from its own connection, one lock sample
 * (lock-sources.ts). It records runs of consecutive samples: per table metadata lock of the
 * watched connections (the migration), and per wait of any connection (a metadata-lock wait with
 * its holders and queue, a row-lock wait with its holder, or a processlist wait where the server
 * shows waiters only there). Runs are indexes into `samples`, timed on the caller's clock, the
 * same shape the PostgreSQL sampler gives its interval logic.
 */
import { DatabaseError } from '../../errors.js';
import { PeriodicLoop } from '../../util/periodic.js';
import type { MysqlConnection } from './client.js';
import { type LockSample, type LockSources, readLockSample, rowWaitGapMs } from './lock-sources.js';
import type { RowLockWait } from './locks.js';

export interface SampleTime {
  send: number;
  recv: number;
}

interface Run {
  /** Index of the first and last sample that saw it. */
  first: number;
  last: number;
  /** Still seen by the final sample. */
  openAtEnd: boolean;
}

export interface HeldRun extends Run {
  connection: number;
  /** `<database>.<table>` */
  relation: string;
  mode: string;
  granted: boolean;
}

export interface WaitRun extends Run {
  waiter: number;
  /** metadata: a table metadata lock; row: an InnoDB row lock; processlist: a lock wait only the processlist shows. */
  kind: 'metadata' | 'row' | 'processlist';
  /** `<database>.<table>`, or null where the processlist does not say. */
  relation: string | null;
  /** The requested metadata-lock type, the InnoDB lock mode, or the processlist state. */
  mode: string;
  /** Connections it waited for (granted conflicting locks), over the whole run. */
  holders: Set<number>;
  /** Connections queued before it with conflicting requests (metadata locks only). */
  queuedBehind: Set<number>;
}

export interface MysqlSamplerData {
  samples: SampleTime[];
  held: HeldRun[];
  waits: WaitRun[];
  sources: LockSources;
}

interface SeenWait {
  key: string;
  base: Omit<WaitRun, keyof Run | 'holders' | 'queuedBehind'>;
  holders: number[];
  queuedBehind: number[];
}

function waitsOf(s: LockSample & { rowWaits: RowLockWait[] }, sources: LockSources): SeenWait[] {
  const out: SeenWait[] = [];
  for (const w of s.mdl.waits) {
    out.push({
      key: `m|${w.waiter}|${w.relation}|${w.mode}`,
      base: { waiter: w.waiter, kind: 'metadata', relation: w.relation, mode: w.mode },
      holders: w.holders,
      queuedBehind: w.queuedBehind,
    });
  }
  for (const w of s.rowWaits) {
    out.push({
      key: `r|${w.waiter}|${w.relation}|${w.waiterMode}`,
      base: { waiter: w.waiter, kind: 'row', relation: w.relation, mode: w.waiterMode },
      holders: [w.holder],
      queuedBehind: [],
    });
  }
  // Where metadata_locks shows waiters, the processlist only repeats them.
  if (sources.metadataLocks === 'metadata_lock_info' || sources.metadataLocks === null) {
    for (const w of s.processlistWaits) {
      out.push({
        key: `p|${w.waiter}|${w.state}`,
        base: { waiter: w.waiter, kind: 'processlist', relation: null, mode: w.state },
        holders: [],
        queuedBehind: [],
      });
    }
  }
  return out;
}

export class MysqlLockSampler {
  private readonly samples: SampleTime[] = [];
  private readonly openHeld = new Map<string, HeldRun>();
  private readonly openWaits = new Map<string, WaitRun>();
  private readonly held: HeldRun[] = [];
  private readonly waits: WaitRun[] = [];
  private readonly loop: PeriodicLoop;
  private rowWaits: RowLockWait[] = [];
  private rowWaitsReadAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly connection: MysqlConnection,
    private readonly sources: LockSources,
    /** The migration's connection ids: every lock they hold is recorded. */
    private readonly watched: readonly number[],
    private readonly clock: { now(): number },
    intervalMs = 10,
  ) {
    this.loop = new PeriodicLoop(
      () => this.sampleOnce(),
      intervalMs,
      () => clock.now(),
    );
  }

  /** Take the first sample, then keep sampling in the background. */
  async start(): Promise<void> {
    await this.sampleOnce();
    this.loop.start(this.samples[0]?.send);
  }

  /** Take a final sample, stop, and return every run. */
  async stop(): Promise<MysqlSamplerData> {
    const failure = await this.loop.stop();
    if (failure) {
      throw new DatabaseError(`the lock sampler lost its connection: ${(failure as Error).message}`, {
        cause: failure,
      });
    }
    await this.sampleOnce();
    for (const r of this.openHeld.values()) this.held.push({ ...r, openAtEnd: true });
    for (const r of this.openWaits.values()) this.waits.push({ ...r, openAtEnd: true });
    this.openHeld.clear();
    this.openWaits.clear();
    return {
      samples: this.samples,
      held: this.held.sort((a, b) => a.first - b.first),
      waits: this.waits.sort((a, b) => a.first - b.first),
      sources: this.sources,
    };
  }

  private async sampleOnce(): Promise<void> {
    const send = this.clock.now();
    const readRows = send - this.rowWaitsReadAt >= rowWaitGapMs(this.sources);
    const read = await readLockSample(this.connection, this.sources, this.watched, { rowWaits: readRows });
    const recv = this.clock.now();
    if (read.rowWaits !== null) {
      this.rowWaits = read.rowWaits;
      this.rowWaitsReadAt = send;
    }
    // Between two reads of the row-lock source, its last answer stands.
    const s = { ...read, rowWaits: this.rowWaits };
    const index = this.samples.push({ send, recv }) - 1;
    const watched = new Set(this.watched);

    const seenHeld = new Set<string>();
    for (const l of s.mdl.locks) {
      if (!watched.has(l.connection)) continue;
      const key = `${l.connection}|${l.relation}|${l.mode}|${l.granted}`;
      seenHeld.add(key);
      const run = this.openHeld.get(key);
      if (run) run.last = index;
      else this.openHeld.set(key, { ...l, first: index, last: index, openAtEnd: false });
    }
    for (const [key, run] of this.openHeld) {
      if (seenHeld.has(key)) continue;
      this.held.push(run);
      this.openHeld.delete(key);
    }

    const seenWaits = new Set<string>();
    for (const w of waitsOf(s, this.sources)) {
      seenWaits.add(w.key);
      const run = this.openWaits.get(w.key);
      if (run) {
        run.last = index;
        for (const h of w.holders) run.holders.add(h);
        for (const q of w.queuedBehind) run.queuedBehind.add(q);
      } else {
        this.openWaits.set(w.key, {
          ...w.base,
          holders: new Set(w.holders),
          queuedBehind: new Set(w.queuedBehind),
          first: index,
          last: index,
          openAtEnd: false,
        });
      }
    }
    for (const [key, run] of this.openWaits) {
      if (seenWaits.has(key)) continue;
      this.waits.push(run);
      this.openWaits.delete(key);
    }
  }
}

/** A run's duration estimated from sample midpoints, plus one sampling period (the edges are unseen). */
export function runSpanMs(run: Run, samples: readonly SampleTime[], intervalMs: number): number {
  const mid = (i: number) => {
    const s = samples[i];
    return s ? (s.send + s.recv) / 2 : 0;
  };
  return mid(run.last) - mid(run.first) + intervalMs;
}
