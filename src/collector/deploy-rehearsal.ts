/**
 * The deploy rehearsal: run the migration the way a careful deploy would. Every statement runs
 * under the session's lock_timeout (set when the migration's session opens); when one times out
 * waiting for a lock (SQLSTATE 55P03) the whole transaction it belongs to is tried again after a
 * backoff: a statement outside BEGIN … COMMIT is its own transaction, a failed explicit
 * transaction is rolled back and re-run from its BEGIN. An INVALID index left by a timed-out
 * `CREATE INDEX CONCURRENTLY` is dropped before the retry (and when giving up, so no deploy leaves
 * one behind). No retry starts past the budget. Any other error stops the run, as
 * without the rehearsal. What happened is kept per try, on the shared clock, for the report.
 */
import type pg from 'pg';
import { SQLSTATE } from '../util/sqlstate.js';
import { formatMs } from '../util/units.js';
import type { Clock } from './clock.js';
import { backoffDelay, type DeployRehearsal } from './deploy-options.js';
import {
  dropInvalidIndex,
  type InvalidIndex,
  invalidIndexes,
  leftBehind,
  mayLeaveInvalidIndex,
} from './invalid-indexes.js';
import {
  describePgError,
  type Failure,
  type ProgressFn,
  type RunLimits,
  type RunOutcome,
  runStatements,
} from './runner.js';
import type { SqlStatement } from './split.js';

const LOCK_NOT_AVAILABLE = SQLSTATE.LOCK_NOT_AVAILABLE;

export interface Cleanup {
  index: string;
  dropped: boolean;
  tries: number;
  error: string | null;
}

/** One try of one transaction, on the shared clock. */
export interface AttemptRecord {
  first: number;
  last: number;
  attempt: number;
  statement: number;
  start: number;
  end: number;
  outcome: 'ok' | 'lock_timeout' | 'error';
  error: string | null;
  backoffMs: number;
  cleanup: Cleanup[];
}

export interface RehearsalLog {
  settings: DeployRehearsal;
  start: number;
  end: number;
  attempts: AttemptRecord[];
  /** Statement index → times sent / lock timeouts. */
  sent: Map<number, number>;
  lockTimeouts: Map<number, number>;
  /** Statements whose transaction ran to its end (its COMMIT, or alone: completed). */
  through: Set<number>;
  gotThrough: boolean;
  reason: string | null;
}

type RunOptions = { signal?: AbortSignal; onProgress?: ProgressFn } & RunLimits;

/** The file's transactions in order: BEGIN … its end as one, every other statement alone. */
export function transactionUnits(statements: readonly SqlStatement[]): SqlStatement[][] {
  const units: SqlStatement[][] = [];
  let i = 0;
  while (i < statements.length) {
    const s = statements[i]!;
    let next = i + 1;
    if (s.startsTransaction && s.inTransactionBlock) {
      const end = s.transactionEnd === null ? -1 : statements.findIndex((x) => x.index === s.transactionEnd);
      next = end < i ? statements.length : end + 1;
    }
    units.push(statements.slice(i, next));
    i = next;
  }
  return units;
}

function sleepUnlessAborted(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

const bump = (m: Map<number, number>, k: number) => m.set(k, (m.get(k) ?? 0) + 1);

export async function runDeployRehearsal(
  client: pg.Client,
  statements: readonly SqlStatement[],
  clock: Clock,
  settings: DeployRehearsal,
  options: RunOptions = {},
): Promise<{ outcome: RunOutcome; log: RehearsalLog }> {
  const outcome: RunOutcome = { results: [], timings: [], failure: null, leftTransactionOpen: false };
  const start = clock.now();
  const log: RehearsalLog = {
    settings,
    start,
    end: start,
    attempts: [],
    sent: new Map(),
    lockTimeouts: new Map(),
    through: new Set(),
    gotThrough: false,
    reason: null,
  };
  const elapsed = () => clock.now() - start;
  const units = transactionUnits(statements);
  const stop = (failure: Failure, reason: string) => {
    outcome.failure = failure;
    log.reason = reason;
  };
  for (const unit of units) {
    const first = unit[0]!;
    const last = unit.at(-1)!;
    for (let attempt = 1; !options.signal?.aborted; attempt++) {
      const watched = unit.length === 1 && mayLeaveInvalidIndex(first) ? await invalidIndexes(client) : null;
      options.onProgress?.({
        message: `statement ${first.index}${unit.length > 1 ? `-${last.index}` : ''}/${statements.length}: try ${attempt} of ${settings.retries + 1} under lock_timeout ${formatMs(settings.lockTimeoutMs)}`,
        progress: first.index - 1,
        total: statements.length,
      });
      const remaining = options.totalTimeoutMs === undefined ? undefined : options.totalTimeoutMs - elapsed();
      const run = await runStatements(client, unit, clock, {
        ...options,
        onProgress: undefined,
        totalTimeoutMs: remaining === undefined ? undefined : Math.max(1, remaining),
      });
      for (const r of run.results) bump(log.sent, r.index);
      outcome.timings.push(...run.timings);
      // The statement list shows each statement's last try.
      outcome.results = outcome.results.filter((r) => r.index < first.index).concat(run.results);
      outcome.leftTransactionOpen = run.leftTransactionOpen;
      const f = run.failure;
      const record: AttemptRecord = {
        first: first.index,
        last: last.index,
        attempt,
        statement: f?.index ?? run.results.at(-1)?.index ?? last.index,
        start: run.timings[0]?.start ?? clock.now(),
        end: run.timings.at(-1)?.end ?? clock.now(),
        outcome: f === null ? 'ok' : f.sqlstate === LOCK_NOT_AVAILABLE ? 'lock_timeout' : 'error',
        error: f?.message ?? null,
        backoffMs: 0,
        cleanup: [],
      };
      log.attempts.push(record);
      if (f === null) {
        for (const s of unit) log.through.add(s.index);
        break;
      }
      if (f.sqlstate !== LOCK_NOT_AVAILABLE) {
        stop(f, `statement ${f.index} (line ${f.line}) failed: ${f.message}`);
        break;
      }
      bump(log.lockTimeouts, f.index);
      // Dropped even when no retry follows: a deploy that gives up leaves no INVALID index behind.
      if (watched) record.cleanup = await dropLeftBehind(client, watched, settings, elapsed, options.signal);
      const stuck = record.cleanup.find((c) => !c.dropped);
      const timedOut =
        `statement ${f.index} (line ${f.line}) timed out waiting for a lock (lock_timeout ${formatMs(settings.lockTimeoutMs)})` +
        (stuck ? `; the INVALID index ${stuck.index} it left could not be dropped (${stuck.error})` : '');
      if (stuck) {
        stop(f, timedOut);
        break;
      }
      if (attempt > settings.retries) {
        const tries = settings.retries === 0 ? 'with no retries' : `on all ${attempt} tries`;
        stop({ ...f, message: `${f.message}; did not get through ${tries}` }, `${timedOut} ${tries}`);
        break;
      }
      const delay = backoffDelay(attempt, settings.backoffMs);
      if (elapsed() + delay > settings.budgetMs) {
        const why = `${timedOut} on ${attempt} tries; the next one would start past the budget of ${formatMs(settings.budgetMs)}`;
        stop(
          {
            ...f,
            message: `${f.message}; did not get through within the budget of ${formatMs(settings.budgetMs)}`,
          },
          why,
        );
        break;
      }
      record.backoffMs = delay;
      options.onProgress?.({ message: `${timedOut}: trying again in ${formatMs(delay)}` });
      await sleepUnlessAborted(delay, options.signal);
    }
    if (outcome.failure || options.signal?.aborted) break;
  }
  log.end = clock.now();
  log.gotThrough =
    outcome.failure === null && !options.signal?.aborted && log.through.size === statements.length;
  return { outcome, log };
}

/** Tries of one DROP INDEX CONCURRENTLY that itself times out (within the budget in any case). */
const MAX_DROP_TRIES = 20;

/** Drop what the timed-out statement left INVALID, retrying a drop that itself times out. */
async function dropLeftBehind(
  client: pg.Client,
  before: readonly InvalidIndex[],
  settings: DeployRehearsal,
  elapsed: () => number,
  signal: AbortSignal | undefined,
): Promise<Cleanup[]> {
  const out: Cleanup[] = [];
  for (const index of leftBehind(before, await invalidIndexes(client))) {
    const c: Cleanup = { index: `${index.schema}.${index.name}`, dropped: false, tries: 0, error: null };
    out.push(c);
    while (!signal?.aborted) {
      c.tries++;
      try {
        await dropInvalidIndex(client, index);
        c.dropped = true;
        c.error = null;
        break;
      } catch (err) {
        const e = describePgError(err);
        c.error = e.message;
        const delay = backoffDelay(c.tries, settings.backoffMs);
        if (
          e.sqlstate !== LOCK_NOT_AVAILABLE ||
          c.tries >= MAX_DROP_TRIES ||
          elapsed() + delay > settings.budgetMs
        )
          break;
        await sleepUnlessAborted(delay, signal);
      }
    }
  }
  return out;
}
