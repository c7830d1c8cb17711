/**
 * Runs the migration exactly as `psql -f` would: one connection, statement by statement, each
 * sent alone as a simple query, autocommit unless the file itself says BEGIN. So CREATE INDEX
 * CONCURRENTLY and DO blocks that COMMIT work unmodified. Stops at the first error.
 */
import type pg from 'pg';
import type { ExecOptions, ExecResult } from '../backends/backend.js';
import type { StatementResult } from '../result.js';
import { SQLSTATE } from '../util/sqlstate.js';
import { TIMEOUT_ENV } from '../util/timeouts.js';
import { formatMs } from '../util/units.js';
import { type Clock, round1 } from './clock.js';
import type { SqlStatement } from './split.js';

/** When a statement ran, on the shared clock. */
export interface StatementTiming {
  index: number;
  start: number;
  end: number;
}

export interface Failure {
  index: number;
  line: number;
  message: string;
  sqlstate: string | null;
}

export interface RunOutcome {
  results: StatementResult[];
  timings: StatementTiming[];
  failure: Failure | null;
  /** The file opened a transaction it never closed; it was rolled back at the end, as psql does on exit. */
  leftTransactionOpen: boolean;
}

export type ProgressFn = (p: { message: string; progress?: number; total?: number }) => void;

const ROLLBACK_SQL = 'ROLLBACK';
const MAX_PREVIEW = 80;

function preview(sql: string): string {
  const oneLine = sql.replace(/\s+/g, ' ');
  return oneLine.length > MAX_PREVIEW ? `${oneLine.slice(0, MAX_PREVIEW - 1)}…` : oneLine;
}

/** The server's message with its detail, or what the driver said when the connection broke. */
export function describePgError(err: unknown): { message: string; sqlstate: string | null } {
  const e = err as { message?: string; code?: string; detail?: string };
  const sqlstate = typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) ? e.code : null;
  const base = e.message ?? String(err);
  const message = sqlstate ? (e.detail ? `${base} (${e.detail})` : base) : `connection lost: ${base}`;
  return { message, sqlstate };
}

export function statementError(f: Failure): string {
  return `statement ${f.index} (line ${f.line}): ${f.sqlstate ? `${f.sqlstate} ` : ''}${f.message}`;
}

function transactionStatus(client: pg.Client): string | null {
  return (
    (client as unknown as { getTransactionStatus?: () => string | null }).getTransactionStatus?.() ?? null
  );
}

export interface RunLimits {
  /** The session's statement_timeout, named in the error when a statement hits it. */
  statementTimeoutMs?: number;
  /** The whole run; past it the running statement is cancelled (through `cancel`) and the run fails. */
  totalTimeoutMs?: number;
  /** Cancels the statement running on the migration's session (pg_cancel_backend from elsewhere). */
  cancel?: () => Promise<void>;
}

function timeoutMessage(
  error: { message: string; sqlstate: string | null },
  limits: RunLimits,
  total: boolean,
) {
  if (total) {
    return `${error.message}: the migration ran longer than its total limit of ${formatMs(limits.totalTimeoutMs ?? 0)} (${TIMEOUT_ENV.migrationMs})`;
  }
  if (
    error.sqlstate === SQLSTATE.QUERY_CANCELED &&
    /statement timeout/.test(error.message) &&
    limits.statementTimeoutMs
  ) {
    return `${error.message} (the limit per statement is ${formatMs(limits.statementTimeoutMs)}; ${TIMEOUT_ENV.statementMs} raises it)`;
  }
  return error.message;
}

export async function runStatements(
  client: pg.Client,
  statements: readonly SqlStatement[],
  clock: Clock,
  options: { signal?: AbortSignal; onProgress?: ProgressFn } & RunLimits = {},
): Promise<RunOutcome> {
  const outcome: RunOutcome = { results: [], timings: [], failure: null, leftTransactionOpen: false };
  let timedOut = false;
  const timer =
    options.totalTimeoutMs === undefined
      ? null
      : setTimeout(() => {
          timedOut = true;
          void options.cancel?.().catch(() => undefined);
        }, options.totalTimeoutMs);
  try {
    await runEach(client, statements, clock, options, outcome, () => timedOut);
  } finally {
    if (timer) clearTimeout(timer);
  }
  // Like psql: a transaction left open (failed inside it, or never committed) is rolled back.
  const status = transactionStatus(client);
  if (status === 'T' || status === 'E') {
    outcome.leftTransactionOpen = outcome.failure === null && !options.signal?.aborted;
    await client.query(ROLLBACK_SQL).catch(() => undefined);
  }
  options.onProgress?.({
    message: 'migration finished',
    progress: outcome.results.length,
    total: statements.length,
  });
  return outcome;
}

async function runEach(
  client: pg.Client,
  statements: readonly SqlStatement[],
  clock: Clock,
  options: { signal?: AbortSignal; onProgress?: ProgressFn } & RunLimits,
  outcome: RunOutcome,
  timedOut: () => boolean,
): Promise<void> {
  for (const s of statements) {
    if (options.signal?.aborted) break;
    if (timedOut()) {
      const message = `not run: the migration ran longer than its total limit of ${formatMs(options.totalTimeoutMs ?? 0)} (${TIMEOUT_ENV.migrationMs})`;
      outcome.failure = { index: s.index, line: s.line, message, sqlstate: null };
      break;
    }
    options.onProgress?.({
      message: `statement ${s.index}/${statements.length} (line ${s.line}): ${preview(s.sql)}`,
      progress: s.index - 1,
      total: statements.length,
    });
    const start = clock.now();
    let error: { message: string; sqlstate: string | null } | null = null;
    try {
      await client.query(s.sql);
    } catch (err) {
      const e = describePgError(err);
      error = { ...e, message: timeoutMessage(e, options, timedOut()) };
    }
    const end = clock.now();
    outcome.timings.push({ index: s.index, start, end });
    outcome.results.push({
      index: s.index,
      sql: s.sql,
      line: s.line,
      duration_ms: round1(end - start),
      error: error?.message ?? null,
      sqlstate: error?.sqlstate ?? null,
    });
    if (error) {
      outcome.failure = { index: s.index, line: s.line, ...error };
      break;
    }
  }
}

export type ExecFn = (command: string, opts: ExecOptions) => Promise<ExecResult>;

const STDERR_TAIL_CHARS = 2000;

/** A shell command step (ETL job, `npm run migrate`): one "statement", timed around the process. */
export async function runCommand(
  exec: ExecFn,
  command: string,
  clock: Clock,
  options: { signal?: AbortSignal; onProgress?: ProgressFn; totalTimeoutMs?: number } = {},
): Promise<RunOutcome & { stdout: string; stderr: string }> {
  options.onProgress?.({ message: `command: ${preview(command)}`, progress: 0, total: 1 });
  const start = clock.now();
  let result: ExecResult | null = null;
  let thrown: unknown = null;
  try {
    result = await exec(command, {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.totalTimeoutMs === undefined ? {} : { timeoutMs: options.totalTimeoutMs }),
    });
  } catch (err) {
    thrown = err;
  }
  const end = clock.now();
  let message: string | null = null;
  if (thrown) message = thrown instanceof Error ? thrown.message : String(thrown);
  else if (result && result.exitCode !== 0) {
    const tail = (result.stderr.trim() || result.stdout.trim()).slice(-STDERR_TAIL_CHARS);
    message = `command exited with code ${result.exitCode}${tail ? `: ${tail}` : ''}`;
  }
  options.onProgress?.({ message: 'command finished', progress: 1, total: 1 });
  return {
    results: [
      { index: 1, sql: command, line: 1, duration_ms: round1(end - start), error: message, sqlstate: null },
    ],
    timings: [{ index: 1, start, end }],
    failure: message === null ? null : { index: 1, line: 1, message, sqlstate: null },
    leftTransactionOpen: false,
    stdout: result?.stdout ?? '',
    stderr: result?.stderr ?? '',
  };
}
