/**
 * Test migrations on branches of a checkpoint: branch, run and measure, validate, remove the
 * branch (unless kept), rank. The baseline is never touched; a cancelled or failed run leaves
 * no branch behind.
 */
import { randomBytes } from 'node:crypto';
import pLimit from 'p-limit';
import { buildComparison } from '../analysis/rank.js';
import type { Backend, BranchInfo } from '../backends/backend.js';
import { unknownCheckpoint } from '../backends/messages.js';
import { type DeployRehearsal, deployRehearsalFrom } from '../collector/deploy-options.js';
import {
  CancelledError,
  ConflictError,
  describeError,
  InvalidInputError,
  throwIfAborted,
} from '../errors.js';
import type { Comparison, EngineName, StrategyResult } from '../result.js';
import { deriveBranchName } from '../state/names.js';
import type { CheckpointEntry } from '../state/registry.js';
import { redactDeep } from '../util/secrets.js';
import { timeoutsFromEnv } from '../util/timeouts.js';
import { failIfCheckpointChanged } from './checkpoint-guard.js';
import type { Context } from './context.js';
import { withEngine } from './engine-context.js';
import { checkEngine } from './engine-of.js';
import { coreEngine } from './engines/index.js';
import { measureOnBranch } from './measure-branch.js';
import { resolveMigration } from './migration-input.js';
import { checkpointEngine } from './mysql-checkpoint.js';
import { recordTestedStrategies } from './record-tested.js';
import { collectSettled, unmeasuredResult } from './settle.js';
import type { TestMigrationInput, TestStrategiesInput } from './types.js';

/** A ready, undamaged checkpoint of this backend, or the user-facing error that says what is wrong. */
export async function requireCheckpoint(ctx: Context, baseline: string): Promise<CheckpointEntry> {
  const ckpt = await ctx.registry.checkpoint(baseline);
  if (ckpt?.damaged) {
    throw new ConflictError(`checkpoint ${JSON.stringify(baseline)} is damaged: ${ckpt.damaged}`, {
      hint: 'an earlier run changed it; make a new checkpoint (and delete this one with `vers-db delete --checkpoint`)',
    });
  }
  if (ckpt && ckpt.state === 'ready' && ckpt.backend === ctx.backendKind) return ckpt;
  throw await unknownCheckpoint(ctx.registry, ctx.backendKind, baseline);
}

/**
 * A fresh branch holds exactly the rows its checkpoint held when it was sealed, as long as the
 * checkpoint still has the checksums it was sealed with, which is verified after every run
 * (a changed checkpoint fails the run). Then the counts recorded with the checksums stand for
 * the before-snapshot's, and the tables need not be scanned once more per branch.
 */
function rowCountsOfFreshBranches(
  ckpt: CheckpointEntry,
  backend: Backend,
): Record<string, number> | undefined {
  return ckpt.rowCounts && ckpt.checksums && backend.verifyCheckpoint ? ckpt.rowCounts : undefined;
}

const suffix = () => randomBytes(3).toString('hex');

export async function testMigration(ctx: Context, input: TestMigrationInput): Promise<StrategyResult> {
  const comparison = await testStrategies(ctx, {
    baseline: input.baseline,
    engine: input.engine,
    migrations: [{ migration: input.migration, name: input.name, kind: input.kind }],
    superuser: input.superuser,
    validation: input.validation,
    collectMetrics: input.collectMetrics,
    longReaderMs: input.longReaderMs,
    deploy: input.deploy,
    workload: input.workload,
    keepBranches: input.keepBranch,
    signal: input.signal,
    onProgress: input.onProgress,
    createdBy: input.createdBy,
  });
  return comparison.results[0]!;
}

/** What only the PostgreSQL collector has so far, refused for a MySQL checkpoint before any branch is made. */
export async function testStrategies(ctx: Context, input: TestStrategiesInput): Promise<Comparison> {
  if (input.migrations.length === 0) throw new InvalidInputError('give at least one migration to test');
  // Bad options are the user's first error, before the checkpoint is even looked up.
  const deploy = deployRehearsalFrom(input.deploy);
  const checkpoint = await requireCheckpoint(ctx, input.baseline);
  const engine = await checkpointEngine(ctx, checkpoint);
  if (input.engine) checkEngine({ tag: checkpoint.tag, engine }, input.engine);
  // A MySQL checkpoint from a context made for PostgreSQL (no --engine) is run by the MySQL backend.
  return withEngine(ctx, engine, (c) => runStrategies(c, input, { engine, checkpoint, deploy }));
}

async function runStrategies(
  ctx: Context,
  input: TestStrategiesInput,
  checked: { engine: EngineName; checkpoint: CheckpointEntry; deploy: DeployRehearsal | null },
): Promise<Comparison> {
  const { engine, checkpoint, deploy } = checked;
  // On one machine strategies compete for CPU and disk, so they run one after another unless asked;
  // Vers branches are separate VMs, so there they all run at once.
  const asked = input.parallel;
  if (asked !== undefined && (!Number.isInteger(asked) || asked < 1))
    throw new InvalidInputError('parallel must be a whole number ≥ 1');
  // Everything the user gave is checked before any branch exists.
  const timeouts = timeoutsFromEnv(ctx.env);
  const resolved = await Promise.all(input.migrations.map((m, i) => resolveMigration(m, ctx.cwd, i, engine)));
  const core = coreEngine(engine);
  core.refuseUnsupported(input, resolved);
  const command = deploy ? resolved.find((m) => m.source.kind === 'command') : undefined;
  if (command) {
    throw new InvalidInputError(
      `the deploy rehearsal runs SQL migrations, and ${command.name} is a shell command`,
      {
        hint: 'rehearse the SQL files themselves, or drop --deploy-lock-timeout',
      },
    );
  }
  const names = new Set<string>();
  for (const m of resolved) {
    if (names.has(m.name)) {
      throw new InvalidInputError(`two strategies are named ${JSON.stringify(m.name)}`, {
        hint: 'give them distinct names',
      });
    }
    names.add(m.name);
  }
  // The workload file is read in the engine's own SQL dialect (parameters, RETURNING).
  const workload = input.workload ? await core.loadWorkload(input.workload, ctx.cwd) : undefined;
  throwIfAborted(input.signal);
  const backend = await ctx.backend();
  const knownRowCounts = rowCountsOfFreshBranches(checkpoint, backend);
  const { defaultParallel } = backend.capabilities;
  const parallel = asked ?? (defaultParallel === 'all' ? input.migrations.length : defaultParallel);
  const total = resolved.length;
  const branchNames = resolved.map((m) => deriveBranchName(m.name, suffix()));
  const created: BranchInfo[] = [];
  const makeBranches = async (names: string[]): Promise<BranchInfo[]> => {
    const made = await backend.branch(input.baseline, names, {
      signal: input.signal,
      createdBy: input.createdBy ?? 'vers-db test',
      keep: input.keepBranches ?? false,
    });
    created.push(...made);
    return made;
  };
  // Serial local runs make each branch just before its strategy and drop it right after: one
  // extra copy of the database on disk at a time, not one per strategy. Parallel runs, Vers (one
  // `vers branch --count N` call) and kept branches make them all up front.
  const justInTime = !backend.capabilities.batchBranching && parallel === 1 && !input.keepBranches;
  let upfront: BranchInfo[] | null = null;
  if (!justInTime) {
    input.onProgress?.({
      message: `branching ${total} from ${input.baseline}`,
      progress: 0,
      total: total + 1,
    });
    upfront = await makeBranches(branchNames);
    input.onProgress?.({
      message: `created ${upfront.length} branch(es) from ${input.baseline} (${upfront[0]?.strategy}): ${upfront
        .map((b) => `${Math.round(b.durationMs)} ms`)
        .join(', ')}`,
    });
  }
  let done = 0;
  try {
    const limit = pLimit(parallel);
    const settled = await Promise.allSettled(
      resolved.map((m, i) =>
        limit(async () => {
          throwIfAborted(input.signal);
          if (!upfront) input.onProgress?.({ message: `${m.name}: branching from ${input.baseline}` });
          const info = upfront ? upfront[i]! : (await makeBranches([branchNames[i]!]))[0]!;
          const branch = info.name;
          input.onProgress?.({
            message: `${m.name}: running on branch ${branch} (made in ${Math.round(info.durationMs)} ms, ${info.strategy})`,
            progress: done + 1,
            total: total + 1,
          });
          const r = await measureOnBranch(backend, branch, m, {
            validation: input.validation,
            collectMetrics: input.collectMetrics,
            longReaderMs: input.longReaderMs,
            deploy,
            superuser: input.superuser,
            workload,
            knownRowCounts,
            relationDatabase: checkpoint.database,
            signal: input.signal,
            onProgress: (p) => input.onProgress?.({ message: `${m.name}: ${p.message}` }),
            timeouts,
          });
          r.branch_ms = info.durationMs;
          await input.afterRun?.(backend, branch, i, r);
          done++;
          input.onProgress?.({
            message: `${m.name}: ${r.status} in ${Math.round(r.duration_ms)} ms`,
            progress: done + 1,
            total: total + 1,
          });
          // A branch that will not go away now is retried below; the result stands either way.
          if (!input.keepBranches) await backend.destroy(branch).catch(() => undefined);
          return r;
        }),
      ),
    );
    const results = collectSettled(
      settled,
      (i, reason) => {
        ctx.log(`${resolved[i]!.name}: could not be measured: ${describeError(reason)}`);
        return unmeasuredResult(resolved[i]!.name, upfront?.[i]?.name ?? branchNames[i]!, reason);
      },
      input.signal,
      // One strategy's error stays an error; of several, each keeps its own result even if all
      // failed (a server restart or a full disk mid-run must not turn them into one bare error).
      total === 1,
    );
    input.onProgress?.({ message: `verifying checkpoint ${input.baseline}` });
    await failIfCheckpointChanged(ctx, backend, input.baseline, results);
    input.beforeRank?.(results);
    // Validation and command output may echo DATABASE_URL or a password: no report carries one.
    const comparison = redactDeep(
      buildComparison(
        input.baseline,
        backend.kind,
        results,
        parallel > 1 && total > 1 ? 'parallel' : 'serial',
      ),
    );
    // What passed is recorded as tested: the guard hook asks before applying anything else.
    await recordTestedStrategies(ctx, resolved, comparison).catch((e: Error) =>
      ctx.log(`could not record the tested migrations: ${e.message}`),
    );
    return comparison;
  } catch (err) {
    throw input.signal?.aborted && !(err instanceof CancelledError) ? new CancelledError() : err;
  } finally {
    if (!input.keepBranches) {
      for (const b of created)
        await backend
          .destroy(b.name)
          .catch((e: Error) => ctx.log(`could not remove branch ${b.name}: ${e.message}`));
    }
  }
}
