/**
 * Runs a suite file: prepare the source database → setup commands (with the named checkpoints
 * taken after the commands their `after:` names) → each suite's checkpoint → the branches of each
 * selected suite, one at a time unless asked to run in parallel (on one machine the strategies'
 * timings compete for CPU and disk) → thresholds and expectations → one SuiteRunResult.
 */
import { performance } from 'node:perf_hooks';
import pLimit from 'p-limit';
import { buildComparison } from '../analysis/rank.js';
import { evaluateThreshold } from '../analysis/thresholds.js';
import type { Backend } from '../backends/backend.js';
import { failIfCheckpointChanged } from '../core/checkpoint-guard.js';
import type { Context, ProgressFn } from '../core/context.js';
import { withEngine } from '../core/engine-context.js';
import { createCheckpoint } from '../core/index.js';
import { assertMayReplace, SUITE_CREATOR } from '../core/ownership.js';
import { recordTestedSuiteBranches } from '../core/record-tested.js';
import { collectSettled, unmeasuredResult } from '../core/settle.js';
import type { EngineName } from '../engines/engine.js';
import { engineNameOf } from '../engines/index.js';
import { InvalidInputError, throwIfAborted } from '../errors.js';
import type { Comparison, StrategyResult } from '../result.js';
import { redactDeep } from '../util/secrets.js';
import { timeoutsFromEnv } from '../util/timeouts.js';
import { suiteEngine, suiteEngineOps } from './engines.js';
import { DEFAULT_SUITE_FILE, loadSuiteFile } from './loader.js';
import { metricInfo } from './metrics.js';
import {
  type BranchRun,
  type PatternContext,
  runEtlBranch,
  runMigrationBranch,
  runPerformanceBranch,
  runRollbackBranch,
} from './patterns/index.js';
import type { SuiteCheck, SuiteOutcome, SuiteRunResult } from './result.js';
import type { Branch, Suite, SuiteFile } from './schema.js';

export interface RunSuiteOptions {
  /** The suite file; default vers-integration.yaml in ctx.cwd. */
  file?: string;
  /** Run only this suite (its setup and the setups it depends on still run). */
  suite?: string;
  /** true: up to 4 branches at once; a number: that many; false/unset: the suite's own setting, else serial. */
  parallel?: boolean | number;
  keepBranches?: boolean;
  /** Rebuild the source database even if it holds objects the setup did not create (`--rebuild`). */
  rebuild?: boolean;
  /** The engine asked for by the run (--engine, MCP `engine`); the file's `engine:` must agree. */
  engine?: string;
  signal?: AbortSignal;
  onProgress?: ProgressFn;
}

const MAX_DEFAULT_PARALLEL = 4;
function concurrencyOf(suite: Suite, opts: RunSuiteOptions): number {
  // Benchmarks timed side by side measure each other; performance suites always run serially.
  if (suite.pattern === 'performance') return 1;
  const n = suite.branches.length;
  const choice = opts.parallel ?? suite.parallel ?? false;
  if (choice === true) return Math.max(1, Math.min(MAX_DEFAULT_PARALLEL, n));
  if (choice === false) return 1;
  return Math.max(1, Math.min(choice, n));
}

/** Suites whose setup must run: the selected ones and those whose setup takes a checkpoint they need. */
function setupOrder(file: SuiteFile, selected: Suite[]): Suite[] {
  const needed = new Set(selected.map((s) => s.name));
  for (const s of selected) {
    const wanted = new Set([s.checkpoint]);
    for (const b of s.branches)
      if (b.pattern === 'rollback')
        for (const e of b.expect) if (e.kind === 'schema_matches') wanted.add(e.checkpoint);
    for (const c of file.checkpoints) if (wanted.has(c.name) && c.after) needed.add(c.after.suite);
  }
  return file.suites.filter((s) => needed.has(s.name) && s.setup.length > 0);
}

async function runBranch(p: PatternContext, b: Branch): Promise<BranchRun> {
  const run = await runPattern(p, b);
  // `superuser: true` in the suite: every pattern's result says who it ran as, so the report does.
  if (p.superuser && p.backend.capabilities.isolation !== 'vm')
    run.result.sandbox = { role: 'superuser', warnings: run.result.sandbox?.warnings ?? [] };
  return run;
}

function runPattern(p: PatternContext, b: Branch): Promise<BranchRun> {
  switch (b.pattern) {
    case 'migrations':
      return runMigrationBranch(p, b);
    case 'rollback':
      return runRollbackBranch(p, b);
    case 'etl':
      return runEtlBranch(p, b);
    case 'performance':
      return runPerformanceBranch(p, b);
  }
}

/** The checkpoints the setups take (their own and those `after:` one of their commands). */
function checkpointsTaken(file: SuiteFile, setups: Suite[]): Set<string> {
  const names = new Set(setups.map((s) => s.checkpoint));
  const setupNames = new Set(setups.map((s) => s.name));
  for (const c of file.checkpoints) if (c.after && setupNames.has(c.after.suite)) names.add(c.name);
  return names;
}

function thresholdChecks(suite: Suite, results: StrategyResult[]): SuiteCheck[] {
  if (!suite.compare) return [];
  const checks: SuiteCheck[] = [];
  const base = results.find((r) => r.name === suite.compare!.baseline);
  for (const { metric, threshold } of suite.compare.thresholds) {
    const unit = metricInfo(suite.pattern, metric)?.unit === 'ms' ? 'ms' : '';
    for (const r of results) {
      if (r.name === suite.compare.baseline && threshold.kind === 'relative') continue;
      const v = evaluateThreshold(metric, threshold, r.metrics?.[metric], base?.metrics?.[metric], unit);
      checks.push({
        branch: r.name,
        check: `threshold ${metric} ${threshold.raw}`,
        passed: v.passed,
        detail: v.detail,
      });
    }
  }
  return checks;
}

function comparisonOf(
  suite: Suite,
  backend: Backend,
  results: StrategyResult[],
  mode: 'serial' | 'parallel',
): Comparison {
  if (suite.pattern === 'migrations') return buildComparison(suite.checkpoint, backend.kind, results, mode);
  // Rollback, ETL and benchmark branches are judged by their checks, not ranked as alternatives.
  return {
    baseline: suite.checkpoint,
    backend: backend.kind,
    mode,
    results,
    recommendation: null,
    rejected: results
      .filter((r) => r.status === 'failed')
      .map((r) => ({ name: r.name, reason: r.error ?? 'failed' })),
  };
}

function failuresOf(results: StrategyResult[], checks: SuiteCheck[]): string[] {
  const out: string[] = [];
  for (const r of results) if (r.status === 'failed') out.push(`${r.name}: ${r.error ?? 'failed'}`);
  for (const c of checks)
    if (!c.passed) out.push(`${c.branch ? `${c.branch}: ` : ''}${c.check}: ${c.detail}`);
  return out;
}

export async function runSuite(ctx: Context, opts: RunSuiteOptions = {}): Promise<SuiteRunResult> {
  const started = performance.now();
  const file = await loadSuiteFile(opts.file ?? DEFAULT_SUITE_FILE, ctx.cwd);
  const selected = opts.suite ? file.suites.filter((s) => s.name === opts.suite) : file.suites;
  if (selected.length === 0) {
    throw new InvalidInputError(`no suite named ${JSON.stringify(opts.suite)} in ${file.file}`, {
      hint: `suites: ${file.suites.map((s) => s.name).join(', ')}`,
    });
  }
  const engine = suiteEngine(file, ctx.engine, opts.engine ? engineNameOf(opts.engine) : undefined);
  // Everything the engine's runs cannot do is refused before any database, checkpoint or branch is made.
  await suiteEngineOps(engine).refuseUnsupported(file, file.suites);
  return withEngine(ctx, engine, (c) => runLoaded(c, file, selected, engine, opts, started));
}

async function runLoaded(
  ctx: Context,
  file: SuiteFile,
  selected: Suite[],
  engine: EngineName,
  opts: RunSuiteOptions,
  started: number,
): Promise<SuiteRunResult> {
  const progress = (message: string) => opts.onProgress?.({ message });
  const backend = await ctx.backend();
  const setups = setupOrder(file, selected);
  // Only checkpoints an earlier suite run made may be replaced; all are checked before anything is rebuilt.
  const mayReplace = (name: string) =>
    assertMayReplace(ctx, name, SUITE_CREATOR, SUITE_CREATOR, 'name another checkpoint in the suite file');
  for (const name of checkpointsTaken(file, setups)) await mayReplace(name);
  const ops = suiteEngineOps(engine);
  await ops.prepareSource(ctx, backend, file, setups.length > 0, opts.rebuild ?? false);

  const checkpoints: SuiteRunResult['checkpoints'] = [];
  const taken = new Set<string>();
  const setupFailed = new Map<string, string>();
  const take = async (name: string, after: string | null) => {
    throwIfAborted(opts.signal);
    if (await ctx.registry.checkpoint(name)) {
      await mayReplace(name);
      ctx.log(`replacing checkpoint ${name} from an earlier run`);
      await backend.deleteCheckpoint(name, { force: true });
    }
    progress(`checkpoint ${name}${after ? ` (after ${after})` : ''}`);
    const r = await createCheckpoint(ctx, {
      tag: name,
      includeStats: false,
      signal: opts.signal,
      createdBy: SUITE_CREATOR,
    });
    checkpoints.push({ name, after, duration_ms: r.duration_ms });
    taken.add(name);
  };

  for (const s of setups) {
    for (const [i, command] of s.setup.entries()) {
      throwIfAborted(opts.signal);
      progress(`${s.name}: setup[${i}] ${command}`);
      // On MySQL a step naming a .sql file is loaded through the engine (split as the mysql client does).
      const r =
        (await ops.runSetupStep(backend, command, file.dir, opts.signal)) ??
        (await backend.execSource(command, {
          cwd: file.dir,
          timeoutMs: timeoutsFromEnv(ctx.env).setupMs,
          signal: opts.signal,
        }));
      if (r.exitCode !== 0) {
        const tail = (r.stderr.trim() || r.stdout.trim()).slice(-1500);
        setupFailed.set(
          s.name,
          `tests.${s.name}.setup[${i}] \`${command}\` exited with code ${r.exitCode}${tail ? `: ${tail}` : ''}`,
        );
        break;
      }
      for (const c of file.checkpoints)
        if (c.after?.suite === s.name && c.after.index === i) await take(c.name, c.after.raw);
    }
    if (!setupFailed.has(s.name) && !taken.has(s.checkpoint))
      await take(s.checkpoint, `tests.${s.name}.setup`);
  }
  if (setups.length > 0) await ops.recordSource(ctx, backend);
  // Suites without setup start from their named checkpoint if it exists, else from the source as it is now.
  for (const s of selected) {
    if (setupFailed.has(s.name) || taken.has(s.checkpoint)) continue;
    if (await ctx.registry.checkpoint(s.checkpoint)) continue;
    await take(s.checkpoint, null);
  }

  const outcomes: SuiteOutcome[] = [];
  let anyParallel = false;
  for (const suite of selected) {
    const concurrency = concurrencyOf(suite, opts);
    const mode = concurrency > 1 && suite.branches.length > 1 ? 'parallel' : 'serial';
    if (mode === 'parallel') anyParallel = true;
    const failedSetup = setupFailed.get(suite.name);
    if (failedSetup) {
      outcomes.push({
        name: suite.name,
        pattern: suite.pattern,
        checkpoint: suite.checkpoint,
        comparison: comparisonOf(suite, backend, [], mode),
        passed: false,
        failures: [failedSetup],
        checks: [{ branch: null, check: 'setup', passed: false, detail: failedSetup }],
      });
      continue;
    }
    const p: PatternContext = {
      ctx,
      backend,
      dir: file.dir,
      suite: suite.name,
      checkpoint: suite.checkpoint,
      signal: opts.signal,
      onProgress: opts.onProgress,
      keepBranches: opts.keepBranches ?? false,
      workload: suite.workload ?? undefined,
      superuser: suite.superuser,
      deploy: suite.deploy ?? undefined,
    };
    progress(`${suite.name}: ${suite.branches.length} branch(es) from ${suite.checkpoint}, ${mode}`);
    const limit = pLimit(concurrency);
    const settled = await Promise.allSettled(
      suite.branches.map((b) =>
        limit(async () => {
          throwIfAborted(opts.signal);
          progress(`${suite.name}/${b.name}: running`);
          const run = await runBranch(p, b);
          progress(
            `${suite.name}/${b.name}: ${run.result.status} in ${Math.round(run.result.duration_ms)} ms`,
          );
          return run;
        }),
      ),
    );
    // One branch that could not be measured never discards the others' results.
    const runs: BranchRun[] = collectSettled(
      settled,
      (i, reason) => ({ result: unmeasuredResult(suite.branches[i]!.name, '', reason), checks: [] }),
      opts.signal,
      false, // a suite reports every suite's branches, whatever failed
    );
    const results = runs.map((r) => r.result);
    // Migration branches were checked by testMigration; the other patterns run on branches directly.
    if (suite.pattern !== 'migrations')
      await failIfCheckpointChanged(ctx, backend, suite.checkpoint, results);
    const checks = [...runs.flatMap((r) => r.checks), ...thresholdChecks(suite, results)];
    const failures = failuresOf(results, checks);
    const comparison = comparisonOf(suite, backend, results, mode);
    // Migration branches that passed count as tested for the guard hook (core/record-tested.ts).
    if (suite.pattern === 'migrations')
      await recordTestedSuiteBranches(
        ctx,
        file.dir,
        suite.branches.flatMap((b) => (b.pattern === 'migrations' ? [b] : [])),
        comparison,
      ).catch((e: Error) => ctx.log(`could not record the tested migrations: ${e.message}`));
    outcomes.push({
      name: suite.name,
      pattern: suite.pattern,
      checkpoint: suite.checkpoint,
      comparison,
      passed: failures.length === 0,
      failures,
      checks,
    });
  }
  return redactDeep({
    file: file.file,
    mode: anyParallel ? 'parallel' : 'serial',
    passed: outcomes.every((o) => o.passed),
    duration_ms: Math.round(performance.now() - started),
    checkpoints,
    suites: outcomes,
  } satisfies SuiteRunResult);
}
