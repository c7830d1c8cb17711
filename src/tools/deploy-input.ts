/**
 * The deploy rehearsal's inputs, shared by db_migration_test and db_test_strategies (issue 15):
 * the CLI's --deploy-lock-timeout/--retries/--backoff/--budget, bounded as there.
 */
import * as z from 'zod';
import { DEPLOY_LIMITS, type DeployInput } from '../collector/deploy-options.js';

const ms = (key: keyof typeof DEPLOY_LIMITS) =>
  z.number().int().min(DEPLOY_LIMITS[key].min).max(DEPLOY_LIMITS[key].max).optional();

export const DeployFields = {
  deploy_lock_timeout_ms: ms('lockTimeoutMs').describe(
    'Rehearse the deploy: run every statement under this lock_timeout (ms), as a careful deploy would; ' +
      'a statement that times out has its whole transaction retried (retries). The result gets `deploy`: ' +
      "tries per statement, whether it got through, total time and the application's waits per try",
  ),
  retries: ms('retries').describe(
    'With deploy_lock_timeout_ms: retries per transaction after a lock timeout (default 0)',
  ),
  backoff_ms: ms('backoffMs').describe(
    'With deploy_lock_timeout_ms: wait before the first retry, doubled for each further one (default 1000)',
  ),
  budget_ms: ms('budgetMs').describe(
    'With deploy_lock_timeout_ms: no retry starts past this time; a strategy not through is rejected (default 60000)',
  ),
};

export function toDeployInput(args: {
  deploy_lock_timeout_ms?: number;
  retries?: number;
  backoff_ms?: number;
  budget_ms?: number;
}): DeployInput | undefined {
  const input: DeployInput = {};
  if (args.deploy_lock_timeout_ms !== undefined) input.lockTimeoutMs = args.deploy_lock_timeout_ms;
  if (args.retries !== undefined) input.retries = args.retries;
  if (args.backoff_ms !== undefined) input.backoffMs = args.backoff_ms;
  if (args.budget_ms !== undefined) input.budgetMs = args.budget_ms;
  return Object.keys(input).length ? input : undefined;
}
