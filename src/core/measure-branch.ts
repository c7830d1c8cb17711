/**
 * One strategy on its branch: measure the migration with the collector of the branch's engine
 * (core/engines: src/collector for PostgreSQL, src/engines/mysql/collector for MySQL), run the validation
 * command through the backend, and say who it ran as and what of it reaches outside the branch.
 */
import type { Backend } from '../backends/backend.js';
import { withBranch } from '../backends/with-branch.js';
import { engineOf } from '../engines/engine.js';
import type { StrategyResult, Validation } from '../result.js';
import { coreEngine } from './engines/index.js';
import type { MeasureOptions } from './engines/types.js';
import type { ResolvedMigration } from './migration-input.js';

/** Validation output kept in results: the tail, where test runners print their verdict. */
const VALIDATION_OUTPUT_CHARS = 4000;

export type { MeasureOptions };

async function runValidation(
  backend: Backend,
  branch: string,
  command: string,
  signal: AbortSignal | undefined,
  timeoutMs: number,
  superuser?: boolean,
): Promise<Validation> {
  const r = await backend.exec(branch, command, { timeoutMs, signal, superuser });
  const output = `${r.stdout}${r.stderr ? `\n${r.stderr}` : ''}`.trim();
  return {
    status: r.exitCode === 0 ? 'passed' : 'failed',
    output: (r.exitCode === 0 ? '' : `exit code ${r.exitCode}\n`) + output.slice(-VALIDATION_OUTPUT_CHARS),
  };
}

/** Measure one resolved migration on an existing branch, then validate. */
export async function measureOnBranch(
  backend: Backend,
  branch: string,
  m: ResolvedMigration,
  opts: MeasureOptions,
): Promise<StrategyResult> {
  const su = opts.superuser ?? false;
  return withBranch(
    backend,
    branch,
    async (conn) => {
      const core = coreEngine(engineOf(conn));
      const result = await core.measure(backend, conn, branch, m, opts);
      if (opts.validation && result.status === 'passed') {
        opts.onProgress?.({ message: `${m.name}: validating` });
        result.validation = await runValidation(
          backend,
          branch,
          opts.validation,
          opts.signal,
          opts.timeouts.validationMs,
          su,
        );
        if (result.validation.status === 'failed') {
          result.status = 'failed';
          result.error = 'validation failed';
        }
      }
      const sql = m.source.kind === 'sql' ? m.source.sql : null;
      const warnings = sql === null ? [] : core.outsideBranchWarnings(sql, conn);
      result.sandbox = await sandboxOf(backend, branch, su, warnings);
      return result;
    },
    { as: su ? 'superuser' : 'owner' },
  );
}

/** Who the migration ran as, and what of it reaches outside the branch (advisory). */
async function sandboxOf(
  backend: Backend,
  branch: string,
  superuser: boolean,
  warnings: string[],
): Promise<NonNullable<StrategyResult['sandbox']>> {
  if (backend.capabilities.isolation === 'vm') return { role: 'vm', warnings };
  if (superuser) return { role: 'superuser', warnings };
  return { role: (await branchIsSandboxed(backend, branch)) ? 'branch-owner' : 'server-user', warnings };
}

async function branchIsSandboxed(backend: Backend, branch: string): Promise<boolean> {
  const userAs = (as: 'owner' | 'superuser') =>
    withBranch(backend, branch, async (conn) => conn.config.user, { as });
  return (await userAs('owner')) !== (await userAs('superuser'));
}
