/**
 * The application's own workload (`--workload app.sql`): what the collector calls. Load the file
 * before any branch exists; start the run before the migration (the baseline window), mark the
 * migration, run the after window, then finish: per-statement stats and committed writes checked.
 */
import { isAbsolute, resolve } from 'node:path';
import type pg from 'pg';
import { InvalidInputError, NotFoundError } from '../errors.js';
import { readTextFile } from '../util/text-file.js';
import {
  parseWorkload,
  postgresDialect,
  WORKLOAD_LIMITS,
  type WorkloadDialect,
  type WorkloadSettings,
  type WorkloadSpec,
} from './file.js';
import { checkCommittedWrites } from './lost-writes.js';
import { type WorkloadResult, workloadResult } from './result.js';
import type { WorkloadRun } from './runner.js';

export { applyWorkload } from './apply.js';
export type { WorkloadDialect, WorkloadSpec } from './file.js';
export { type WorkloadResult, WorkloadResultSchema } from './result.js';
export { WorkloadRun } from './runner.js';

/** What a user gives: the file, and settings that override the file's own `-- @rate` etc. */
export interface WorkloadInput extends Partial<WorkloadSettings> {
  file: string;
}

const MAX_FILE_BYTES = 1024 * 1024;

/**
 * Read and parse the workload file (relative to `cwd`), apply overrides, check the limits. The SQL
 * is PostgreSQL's unless another dialect is given (MySQL's: src/engines/mysql/workload/).
 */
export async function loadWorkload(
  input: WorkloadInput,
  cwd: string,
  dialect: WorkloadDialect = postgresDialect,
): Promise<WorkloadSpec> {
  const path = isAbsolute(input.file) ? input.file : resolve(cwd, input.file);
  // Strict UTF-8, like migration files: Latin-1 is an error naming the line and byte offset.
  const text = await readTextFile(path, `the workload file ${input.file}`, MAX_FILE_BYTES).catch(
    (err: unknown) => {
      if (err instanceof NotFoundError)
        throw new NotFoundError(`cannot read the workload file ${input.file}: ENOENT`, {
          hint: `looked for ${path}`,
        });
      throw err;
    },
  );
  const spec = await parseWorkload(text, input.file, dialect);
  for (const key of Object.keys(WORKLOAD_LIMITS) as (keyof WorkloadSettings)[]) {
    const value = input[key];
    if (value === undefined) continue;
    const [min, max] = WORKLOAD_LIMITS[key];
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new InvalidInputError(`workload ${key} must be a whole number from ${min} to ${max}`);
    }
    spec[key] = value;
  }
  return spec;
}

/** Stop the run and look for its committed writes in the final schema. */
export async function finishWorkload(run: WorkloadRun, control: pg.Client): Promise<WorkloadResult> {
  const outcome = await run.stop();
  const writes = await checkCommittedWrites(control, outcome.committed, {
    start: outcome.marks.migration,
    end: outcome.marks.after,
  });
  return workloadResult(outcome, writes);
}
