/**
 * What every suite pattern shares: the suite's context, a branch of its checkpoint for the
 * length of one run (removed afterwards unless kept), commands run in the suite's directory,
 * and validation commands with the tail of their output.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { Backend, ExecOptions } from '../../backends/backend.js';
import { withBranchClient } from '../../backends/with-branch.js';
import type { DeployInput } from '../../collector/deploy-options.js';
import type { Context, ProgressFn } from '../../core/context.js';
import { SUITE_CREATOR } from '../../core/ownership.js';
import type { StrategyResult } from '../../result.js';
import { deriveBranchName } from '../../state/names.js';
import type { WorkloadInput } from '../../workload/index.js';
import type { SuiteCheck } from '../result.js';

export interface BranchRun {
  result: StrategyResult;
  checks: SuiteCheck[];
}

export interface PatternContext {
  ctx: Context;
  backend: Backend;
  /** The suite file's directory: commands run there, relative files resolve there. */
  dir: string;
  suite: string;
  checkpoint: string;
  signal?: AbortSignal;
  onProgress?: ProgressFn;
  keepBranches: boolean;
  /** migrations suites: the application's workload during each migration. */
  workload?: WorkloadInput;
  /** The suite asked for `superuser: true`: migrations, steps and commands run as the server's superuser. */
  superuser?: boolean;
  /** migrations suites: the deploy rehearsal (lock_timeout, retries). */
  deploy?: DeployInput;
}

export const CREATED_BY = SUITE_CREATOR;
/** application_name of the suite's own sessions on a branch. */
export const SUITE_SESSION = 'vers-db:suite';
const COMMAND_TIMEOUT_MS = 30 * 60_000;
const OUTPUT_TAIL = 4000;

/** Make a branch, connect to it, run `fn`, and remove the branch (unless kept) whatever happens. */
export async function onBranch<T>(
  p: PatternContext,
  name: string,
  fn: (branch: string, client: pg.Client, config: pg.ClientConfig) => Promise<T>,
): Promise<T> {
  const [info] = await p.backend.branch(
    p.checkpoint,
    [deriveBranchName(`${p.suite}-${name}`, randomBytes(3).toString('hex'))],
    {
      signal: p.signal,
      createdBy: CREATED_BY,
      keep: p.keepBranches,
    },
  );
  const branch = info!.name;
  try {
    return await withBranchClient(p.backend, branch, (client, conn) => fn(branch, client, conn.config), {
      applicationName: SUITE_SESSION,
      as: p.superuser ? 'superuser' : 'owner',
    });
  } finally {
    if (!p.keepBranches) {
      await p.backend
        .destroy(branch)
        .catch((e: Error) => p.ctx.log(`could not remove branch ${branch}: ${e.message}`));
    }
  }
}

export function execIn(p: PatternContext, branch: string) {
  return (command: string, o: ExecOptions) =>
    p.backend.exec(branch, command, {
      timeoutMs: COMMAND_TIMEOUT_MS,
      ...o,
      cwd: p.dir,
      superuser: p.superuser,
    });
}

export async function validate(
  p: PatternContext,
  branch: string,
  command: string,
): Promise<{ ok: boolean; output: string }> {
  const r = await p.backend.exec(branch, command, {
    cwd: p.dir,
    timeoutMs: COMMAND_TIMEOUT_MS,
    signal: p.signal,
    superuser: p.superuser,
  });
  const out = `${r.stdout}${r.stderr ? `\n${r.stderr}` : ''}`.trim().slice(-OUTPUT_TAIL);
  return { ok: r.exitCode === 0, output: r.exitCode === 0 ? out : `exit code ${r.exitCode}\n${out}` };
}
