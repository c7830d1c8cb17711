/**
 * Default time limits for everything vers-db runs on a branch, and their overrides. Nothing the
 * tool starts may run unbounded: a runaway statement or a hung command ends with a clear error
 * instead of holding a branch (and its connections) forever. README "Limits" states these.
 */
import { InvalidInputError } from '../errors.js';

export interface Timeouts {
  /** One migration statement (statement_timeout on the migration's session). */
  statementMs: number;
  /** The whole migration: all its statements, or a command step from start to exit. */
  migrationMs: number;
  /** One validation command. */
  validationMs: number;
  /** One setup command of a suite (loading data can be slow). */
  setupMs: number;
}

export const DEFAULT_TIMEOUTS: Readonly<Timeouts> = {
  statementMs: 30 * 60_000,
  migrationMs: 60 * 60_000,
  validationMs: 10 * 60_000,
  setupMs: 60 * 60_000,
};

/** The environment variable that overrides each limit. */
export const TIMEOUT_ENV: Readonly<Record<keyof Timeouts, string>> = {
  statementMs: 'VERS_DB_STATEMENT_TIMEOUT',
  migrationMs: 'VERS_DB_MIGRATION_TIMEOUT',
  validationMs: 'VERS_DB_VALIDATION_TIMEOUT',
  setupMs: 'VERS_DB_SETUP_TIMEOUT',
};

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|min|h)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, min: 60_000, h: 3_600_000 };
/** Longer than this is not a limit (and overflows timers). */
const MAX_MS = 7 * 24 * 3_600_000;

/** "90s", "30min", "2h", "1500ms" or plain milliseconds. */
export function parseDuration(text: string, what: string): number {
  const m = DURATION.exec(text.trim());
  const ms = m ? Number(m[1]) * UNIT_MS[m[2] ?? 'ms']! : Number.NaN;
  if (!Number.isFinite(ms) || ms < 1 || ms > MAX_MS) {
    throw new InvalidInputError(`${what}: ${JSON.stringify(text)} is not a duration`, {
      hint: 'use a number of milliseconds or a value such as "90s", "30min" or "2h" (at most 7 days)',
    });
  }
  return Math.round(ms);
}

/** The defaults, with any VERS_DB_*_TIMEOUT variable that is set taking precedence. */
export function timeoutsFromEnv(env: NodeJS.ProcessEnv): Timeouts {
  const out = { ...DEFAULT_TIMEOUTS };
  for (const key of Object.keys(TIMEOUT_ENV) as (keyof Timeouts)[]) {
    const value = env[TIMEOUT_ENV[key]]?.trim();
    if (value) out[key] = parseDuration(value, TIMEOUT_ENV[key]);
  }
  return out;
}
