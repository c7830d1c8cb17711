/**
 * `deploy:` of a migrations suite (issue 15): rehearse each branch's migration as a careful
 * deploy would, every statement under `lock_timeout_ms`, timed-out transactions retried.
 *
 *   deploy: { lock_timeout_ms: 2000, retries: 5, backoff_ms: 1000, budget_ms: 60000 }
 */
import * as z from 'zod';
import { DEPLOY_LIMITS, type DeployRehearsal, deployRehearsalFrom } from '../collector/deploy-options.js';
import type { SuitePattern } from './result.js';

const ms = (key: keyof typeof DEPLOY_LIMITS) =>
  z
    .number()
    .int()
    .min(DEPLOY_LIMITS[key].min, `must be at least ${DEPLOY_LIMITS[key].min}`)
    .max(DEPLOY_LIMITS[key].max, `must be at most ${DEPLOY_LIMITS[key].max}`);

export const RawDeploySchema = z
  .strictObject({
    lock_timeout_ms: ms('lockTimeoutMs'),
    retries: ms('retries').optional(),
    backoff_ms: ms('backoffMs').optional(),
    budget_ms: ms('budgetMs').optional(),
  })
  .optional();

export type RawDeploy = z.infer<typeof RawDeploySchema>;

/** The checked settings, or null (with `problem` called) when the suite may not have them. */
export function suiteDeploy(
  raw: RawDeploy,
  pattern: SuitePattern,
  problem: (message: string) => void,
): DeployRehearsal | null {
  if (!raw) return null;
  if (pattern !== 'migrations') {
    problem(`a deploy rehearsal runs with migrations suites, not ${pattern}`);
    return null;
  }
  return deployRehearsalFrom({
    lockTimeoutMs: raw.lock_timeout_ms,
    retries: raw.retries,
    backoffMs: raw.backoff_ms,
    budgetMs: raw.budget_ms,
  });
}
