/** The deploy rehearsal's flags of `vers-db test` (issue 15): milliseconds, like --long-reader. */
import { type Command, InvalidArgumentError } from 'commander';
import { DEPLOY_LIMITS, type DeployInput, givenDeployInput } from '../collector/deploy-options.js';
import { type WorkloadFlags, workloadInput } from './workload-options.js';

export interface DeployFlags {
  deployLockTimeout?: number;
  retries?: number;
  backoff?: number;
  budget?: number;
}

function bounded(key: keyof typeof DEPLOY_LIMITS) {
  const { min, max } = DEPLOY_LIMITS[key];
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    }
    return n;
  };
}

export function addDeployOptions(command: Command): Command {
  return command
    .option(
      '--deploy-lock-timeout <ms>',
      'rehearse the deploy: every statement under this lock_timeout; a timed-out transaction is retried (--retries)',
      bounded('lockTimeoutMs'),
    )
    .option(
      '--retries <n>',
      'with --deploy-lock-timeout: retries per transaction (default 0)',
      bounded('retries'),
    )
    .option(
      '--backoff <ms>',
      'with --deploy-lock-timeout: wait before the first retry, doubled for each further one (default 1000)',
      bounded('backoffMs'),
    )
    .option(
      '--budget <ms>',
      'with --deploy-lock-timeout: no retry starts past this time; a strategy not through by then is rejected (default 60000)',
      bounded('budgetMs'),
    );
}

/** The flags as the core's DeployInput (checked there: retries without a lock timeout is an error). */
export function deployInput(o: DeployFlags): DeployInput | undefined {
  return givenDeployInput({
    lockTimeoutMs: o.deployLockTimeout,
    retries: o.retries,
    backoffMs: o.backoff,
    budgetMs: o.budget,
  });
}

/** Every flag of `vers-db test` that becomes a core input beside the migrations. */
export type TestRunFlags = WorkloadFlags & DeployFlags;

export const testRunInputs = (o: TestRunFlags) => ({ workload: workloadInput(o), deploy: deployInput(o) });
