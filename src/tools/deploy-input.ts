/**
 * The deploy rehearsal's inputs, shared by db_migration_test and db_test_strategies (issue 15):
 * the CLI's --deploy-lock-timeout/--retries/--backoff/--budget, bounded as there.
 */
import * as z from 'zod';
import { DEPLOY_LIMITS, type DeployInput, givenDeployInput } from '../collector/deploy-options.js';
import { toWorkloadInput, type WorkloadSchema } from '../workload/input.js';

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
  return givenDeployInput({
    lockTimeoutMs: args.deploy_lock_timeout_ms,
    retries: args.retries,
    backoffMs: args.backoff_ms,
    budgetMs: args.budget_ms,
  });
}

/** What db_migration_test and db_test_strategies pass to the core beside the migrations. */
export function runInputs(args: {
  superuser?: boolean;
  long_reader_ms?: number;
  workload?: z.infer<typeof WorkloadSchema>;
  deploy_lock_timeout_ms?: number;
  retries?: number;
  backoff_ms?: number;
  budget_ms?: number;
}) {
  return {
    superuser: args.superuser,
    longReaderMs: args.long_reader_ms,
    deploy: toDeployInput(args),
    workload: toWorkloadInput(args.workload),
  };
}
