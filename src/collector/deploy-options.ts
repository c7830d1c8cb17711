/**
 * The deploy rehearsal's settings (`--deploy-lock-timeout --retries --backoff --budget`), checked
 * once for the CLI, the MCP tools and suites: every value in milliseconds (retries a count),
 * bounded, and the retry settings only together with a lock timeout (without one no statement
 * ever times out on a lock, so there is nothing to retry).
 */
import { InvalidInputError } from '../errors.js';

/** As the user gave it (all optional). */
export interface DeployInput {
  /** lock_timeout of every migration statement, ms; turns the rehearsal on. */
  lockTimeoutMs?: number;
  /** Retries of a transaction after a lock timeout (default 0: one attempt). */
  retries?: number;
  /** Wait before the first retry, ms (doubling after each further one, at most MAX_BACKOFF_MS). */
  backoffMs?: number;
  /** No retry starts once this much time has passed since the rehearsal began, ms. */
  budgetMs?: number;
}

/** A DeployInput of the values actually given (none given: undefined, the rehearsal stays off). */
export function givenDeployInput(values: DeployInput): DeployInput | undefined {
  const input = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
  return Object.keys(input).length ? (input as DeployInput) : undefined;
}

/** Checked and completed with the defaults. */
export interface DeployRehearsal {
  lockTimeoutMs: number;
  retries: number;
  backoffMs: number;
  budgetMs: number;
}

export const DEPLOY_LIMITS = {
  lockTimeoutMs: { min: 1, max: 600_000 },
  retries: { min: 0, max: 100 },
  backoffMs: { min: 0, max: 600_000 },
  budgetMs: { min: 1, max: 3_600_000 },
} as const;

export const DEFAULT_BACKOFF_MS = 1000;
export const DEFAULT_BUDGET_MS = 60_000;
/** Doubling stops here (or at the backoff itself, when that is longer). */
export const MAX_BACKOFF_MS = 30_000;

const FLAG: Record<keyof DeployInput, string> = {
  lockTimeoutMs: '--deploy-lock-timeout (deploy_lock_timeout_ms)',
  retries: '--retries (retries)',
  backoffMs: '--backoff (backoff_ms)',
  budgetMs: '--budget (budget_ms)',
};

function checked(key: keyof DeployInput, value: number): number {
  const { min, max } = DEPLOY_LIMITS[key];
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidInputError(`${FLAG[key]}: ${value} is out of range`, {
      hint: `give a whole number from ${min} to ${max}${key === 'retries' ? '' : ' (milliseconds)'}`,
    });
  }
  return value;
}

/** The rehearsal to run, or null when no lock timeout was given (and nothing else was). */
export function deployRehearsalFrom(input: DeployInput | undefined): DeployRehearsal | null {
  if (!input) return null;
  if (input.lockTimeoutMs === undefined) {
    const given = (['retries', 'backoffMs', 'budgetMs'] as const).filter((k) => input[k] !== undefined);
    if (given.length === 0) return null;
    throw new InvalidInputError(
      `${given.map((k) => FLAG[k]).join(', ')} without --deploy-lock-timeout: nothing would ever time out to be retried`,
      { hint: 'add --deploy-lock-timeout <ms> (MCP: deploy_lock_timeout_ms), e.g. 2000' },
    );
  }
  return {
    lockTimeoutMs: checked('lockTimeoutMs', input.lockTimeoutMs),
    retries: checked('retries', input.retries ?? 0),
    backoffMs: checked('backoffMs', input.backoffMs ?? DEFAULT_BACKOFF_MS),
    budgetMs: checked('budgetMs', input.budgetMs ?? DEFAULT_BUDGET_MS),
  };
}

/** The wait after failed attempt `n` (1-based): the backoff, doubled per further attempt, capped. */
export function backoffDelay(n: number, backoffMs: number): number {
  return Math.min(Math.max(MAX_BACKOFF_MS, backoffMs), backoffMs * 2 ** Math.max(0, n - 1));
}
