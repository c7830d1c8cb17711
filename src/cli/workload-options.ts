/** The `--workload` flags shared by `vers-db test` and `vers-db demo`. */
import { type Command, InvalidArgumentError } from 'commander';
import type { WorkloadInput } from '../workload/index.js';

function wholeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number ≥ 0');
  return n;
}

export interface WorkloadFlags {
  workload?: string | boolean;
  workloadRate?: number;
  workloadConcurrency?: number;
  workloadBaseline?: number;
  workloadAfter?: number;
  workloadTimeout?: number;
}

export function addWorkloadOptions(command: Command): Command {
  return command
    .option(
      '--workload <file>',
      "the application's own statements (see README: workload files), run before, during and after the migration",
    )
    .option('--workload-rate <n>', 'statements per second, all sessions together (0 = flat out)', wholeNumber)
    .option('--workload-concurrency <n>', 'sessions running the workload', wholeNumber)
    .option('--workload-baseline <ms>', 'workload window before the migration starts', wholeNumber)
    .option('--workload-after <ms>', 'workload window after the migration ends', wholeNumber)
    .option('--workload-timeout <ms>', 'statement_timeout of each workload statement', wholeNumber);
}

/** The flags as a WorkloadInput (overriding the file's own -- @rate etc.), or undefined without a file. */
export function workloadInput(
  o: WorkloadFlags,
  file = typeof o.workload === 'string' ? o.workload : undefined,
): WorkloadInput | undefined {
  if (!file) return undefined;
  const input: WorkloadInput = { file };
  if (o.workloadRate !== undefined) input.rate = o.workloadRate;
  if (o.workloadConcurrency !== undefined) input.concurrency = o.workloadConcurrency;
  if (o.workloadBaseline !== undefined) input.baselineMs = o.workloadBaseline;
  if (o.workloadAfter !== undefined) input.afterMs = o.workloadAfter;
  if (o.workloadTimeout !== undefined) input.timeoutMs = o.workloadTimeout;
  return input;
}
