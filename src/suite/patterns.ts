/**
 * One branch of each suite pattern, on a branch of the suite's checkpoint:
 * - migrations: `testMigration` (core), plus the metrics the suite asked for;
 * - rollback: up → validate → down → validate on one branch, judged against the checkpoint by
 *   catalog schema (diffSchemas) and per-table checksums;
 * - ETL: the job as a measured command, then row counts, quality and lag;
 * - performance: setup SQL (measured like a migration), then the queries file run repeatedly
 *   after warm-up, giving p50/p95/p99/mean latency and qps.
 * Each returns a StrategyResult (the Result JSON) and the checks it made.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import type { Backend, ExecOptions } from '../backends/backend.js';
import {
  diffSchemas,
  exactRowCounts,
  measureMigration,
  snapshotSchema,
  tableChecksums,
} from '../collector/index.js';
import { loadParser, MAX_SQL_BYTES } from '../collector/split.js';
import { splitStatementsOffThread } from '../collector/split-offthread.js';
import type { Context, ProgressFn } from '../core/context.js';
import { testMigration } from '../core/index.js';
import { resolveMigration } from '../core/migration-input.js';
import { SUITE_CREATOR } from '../core/ownership.js';
import { throwIfAborted } from '../errors.js';
import type { StrategyResult } from '../result.js';
import { deriveBranchName } from '../state/names.js';
import { connect } from '../util/pg.js';
import { readTextFile } from '../util/text-file.js';
import type { WorkloadInput } from '../workload/index.js';
import {
  blankResult,
  latencyStats,
  measureIndexBloat,
  migrationMetric,
  printedMetric,
  readNumber,
} from './measure.js';
import type { SuiteCheck } from './result.js';
import type { EtlBranch, MigrationBranch, PerformanceBranch, RollbackBranch, Step } from './schema.js';

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
}

const CREATED_BY = SUITE_CREATOR;
const COMMAND_TIMEOUT_MS = 30 * 60_000;
const OUTPUT_TAIL = 4000;

/** Make a branch, connect to it, run `fn`, and remove the branch (unless kept) whatever happens. */
async function onBranch<T>(
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
    const conn = await p.backend.connect(branch, { as: p.superuser ? 'superuser' : 'owner' });
    try {
      const client = await connect(conn.config, 'vers-db:suite');
      try {
        return await fn(branch, client, conn.config);
      } finally {
        await client.end().catch(() => undefined);
      }
    } finally {
      await conn.close();
    }
  } finally {
    if (!p.keepBranches) {
      await p.backend
        .destroy(branch)
        .catch((e: Error) => p.ctx.log(`could not remove branch ${branch}: ${e.message}`));
    }
  }
}

function execIn(p: PatternContext, branch: string) {
  return (command: string, o: ExecOptions) =>
    p.backend.exec(branch, command, {
      timeoutMs: COMMAND_TIMEOUT_MS,
      ...o,
      cwd: p.dir,
      superuser: p.superuser,
    });
}

async function validate(
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

// ---- migrations

export async function runMigrationBranch(p: PatternContext, b: MigrationBranch): Promise<BranchRun> {
  const wantsIndexBloat = b.metrics.includes('index_bloat');
  const result = await testMigration(p.ctx, {
    baseline: p.checkpoint,
    name: b.name,
    migration: b.migration,
    validation: b.validation ?? undefined,
    workload: p.workload,
    superuser: p.superuser,
    keepBranch: p.keepBranches || wantsIndexBloat,
    signal: p.signal,
    onProgress: p.onProgress,
    createdBy: CREATED_BY,
  });
  const metrics: Record<string, number | null> = {};
  for (const m of b.metrics) if (m !== 'index_bloat') metrics[m] = migrationMetric(result, m);
  if (wantsIndexBloat) {
    try {
      // vers-db's own read-only measurement: pgstattuple is no trusted extension, so as the server user.
      const conn = await p.backend.connect(result.branch, { as: 'superuser' });
      try {
        const client = await connect(conn.config, 'vers-db:suite');
        try {
          metrics.index_bloat = result.status === 'passed' ? await measureIndexBloat(client) : null;
        } finally {
          await client.end().catch(() => undefined);
        }
      } finally {
        await conn.close();
      }
    } finally {
      if (!p.keepBranches) await p.backend.destroy(result.branch).catch(() => undefined);
    }
  }
  if (b.metrics.length > 0) result.metrics = { ...result.metrics, ...metrics };
  return { result, checks: [] };
}

// ---- rollback

async function stepSource(
  p: PatternContext,
  step: Extract<Step, { kind: 'migration' | 'rollback' }>,
  i: number,
) {
  return (await resolveMigration({ migration: step.migration, kind: step.file ? 'file' : 'auto' }, p.dir, i))
    .source;
}

export async function runRollbackBranch(p: PatternContext, b: RollbackBranch): Promise<BranchRun> {
  await loadParser();
  return onBranch(p, b.name, async (branch, client, config) => {
    const schemaBefore = await snapshotSchema(client);
    const sumsBefore = await tableChecksums(client);
    const checks: SuiteCheck[] = [];
    const validations: string[] = [];
    let up: StrategyResult | null = null;
    let failure: string | null = null;
    let total = 0;
    for (const [i, step] of b.steps.entries()) {
      throwIfAborted(p.signal);
      const label = `steps[${i}] ${step.kind}`;
      p.onProgress?.({ message: `${b.name}: ${label}` });
      if (step.kind === 'validation') {
        const v = await validate(p, branch, step.command);
        validations.push(
          `${label} \`${step.command}\`: ${v.ok ? 'passed' : 'failed'}${v.output ? `\n${v.output}` : ''}`,
        );
        checks.push({
          branch: b.name,
          check: `${label}`,
          passed: v.ok,
          detail: `\`${step.command}\` ${v.ok ? 'passed' : 'failed'}`,
        });
        if (!v.ok) {
          failure = `${label} failed`;
          break;
        }
        continue;
      }
      const r = await measureMigration({
        name: b.name,
        branch,
        connection: config,
        migration: await stepSource(p, step, i),
        exec: execIn(p, branch),
        collectMetrics: step.kind === 'migration',
        signal: p.signal,
        onProgress: (x) => p.onProgress?.({ message: `${b.name}: ${label}: ${x.message}` }),
      });
      total += r.duration_ms;
      if (step.kind === 'migration' && !up) up = r;
      if (r.status === 'failed') {
        failure = `${label} failed: ${r.error ?? 'error'}`;
        if (!up) up = r;
        break;
      }
    }
    const result = up ?? blankResult(b.name, branch);
    result.name = b.name;
    result.duration_ms = total;
    if (failure) {
      result.status = 'failed';
      result.error = failure;
    }
    if (validations.length > 0) {
      result.validation = {
        status: validations.some((v) => v.includes(': failed')) ? 'failed' : 'passed',
        output: validations.join('\n'),
      };
    }
    // After the down migration the branch must be the checkpoint again.
    const schemaAfter = await snapshotSchema(client);
    const schemaDiff = diffSchemas(schemaBefore, schemaAfter);
    result.schema_changes = schemaDiff;
    const sumsAfter = await tableChecksums(client);
    const metrics: Record<string, number | null> = {};
    for (const m of b.metrics) metrics[m] = migrationMetric(result, m);
    if (b.metrics.length > 0) result.metrics = metrics;

    for (const e of b.expect) {
      if (failure) {
        checks.push({
          branch: b.name,
          check: `expect ${e.kind}`,
          passed: false,
          detail: `not reached: ${failure}`,
        });
        continue;
      }
      if (e.kind === 'data_preserved') {
        const changed = Object.keys(sumsBefore).filter((t) => sumsAfter[t] !== sumsBefore[t]);
        const preserved = changed.length === 0;
        checks.push({
          branch: b.name,
          check: 'expect data_preserved',
          passed: preserved === e.value,
          detail: preserved
            ? `all ${Object.keys(sumsBefore).length} tables have the checkpoint's checksums after the rollback`
            : `changed or missing after the rollback: ${changed.join(', ')}`,
        });
      } else {
        const diff =
          e.checkpoint === p.checkpoint
            ? schemaDiff
            : await diffAgainstCheckpoint(p, e.checkpoint, schemaAfter);
        checks.push({
          branch: b.name,
          check: `expect schema_matches ${e.checkpoint}`,
          passed: diff !== null && diff.length === 0,
          detail:
            diff === null
              ? `no checkpoint named ${e.checkpoint}`
              : diff.length === 0
                ? `the catalog after the rollback equals ${e.checkpoint}'s`
                : `differs from ${e.checkpoint}: ${diff.join('; ')}`,
        });
      }
    }
    return { result, checks };
  });
}

/** The catalog differences between a schema and another checkpoint's (read on a short-lived branch). */
async function diffAgainstCheckpoint(
  p: PatternContext,
  checkpoint: string,
  schema: Awaited<ReturnType<typeof snapshotSchema>>,
): Promise<string[] | null> {
  if (!(await p.ctx.registry.checkpoint(checkpoint))) return null;
  return onBranch({ ...p, checkpoint }, `${checkpoint}-schema`, async (_b, client) =>
    diffSchemas(await snapshotSchema(client), schema),
  );
}

// ---- ETL

function sumRows(counts: Record<string, number>, target: readonly string[]): number {
  if (target.length === 0) return Object.values(counts).reduce((s, n) => s + n, 0);
  return target.reduce((s, t) => s + (counts[t] ?? counts[`public.${t}`] ?? 0), 0);
}

export async function runEtlBranch(p: PatternContext, b: EtlBranch): Promise<BranchRun> {
  return onBranch(p, b.name, async (branch, client, config) => {
    let stdout = '';
    const exec = execIn(p, branch);
    const result = await measureMigration({
      name: b.name,
      branch,
      connection: config,
      migration: { kind: 'command', command: b.command },
      exec: async (command, o) => {
        const r = await exec(command, o);
        stdout += r.stdout;
        return r;
      },
      collectMetrics: true,
      signal: p.signal,
      onProgress: (x) => p.onProgress?.({ message: `${b.name}: ${x.message}` }),
    });
    const checks: SuiteCheck[] = [];
    const metrics: Record<string, number | null> = {};
    const counts = await exactRowCounts(client);
    const missing = b.target.filter((t) => counts[t] === undefined && counts[`public.${t}`] === undefined);
    if (missing.length > 0) {
      checks.push({
        branch: b.name,
        check: 'target',
        passed: false,
        detail: `target table(s) not found after the job: ${missing.join(', ')}`,
      });
    }
    for (const m of b.metrics) {
      if (m === 'row_count') metrics[m] = sumRows(counts, b.target);
      else if (m === 'sync_time') metrics[m] = result.statements[0]?.duration_ms ?? result.duration_ms;
      else if (m === 'execution_time') metrics[m] = result.duration_ms;
      else if (m === 'data_quality_score' || m === 'lag_time') {
        const spec = m === 'data_quality_score' ? b.quality : b.lag;
        if (spec) {
          const n = await readNumber(spec, client, p.backend, branch, p.dir);
          metrics[m] = n.value;
          if (n.error) checks.push({ branch: b.name, check: m, passed: false, detail: n.error });
        } else {
          metrics[m] = printedMetric(stdout, m);
          if (metrics[m] === null) {
            checks.push({
              branch: b.name,
              check: m,
              passed: false,
              detail: `not measured: give \`${m === 'data_quality_score' ? 'quality' : 'lag'}: {sql: ...}\` or print "${m}=<n>" from the job`,
            });
          }
        }
      }
    }
    result.metrics = metrics;
    if (b.validation && result.status === 'passed') {
      const v = await validate(p, branch, b.validation);
      result.validation = { status: v.ok ? 'passed' : 'failed', output: v.output };
      if (!v.ok) {
        result.status = 'failed';
        result.error = 'validation failed';
      }
    }
    return { result, checks };
  });
}

// ---- performance

export async function runPerformanceBranch(p: PatternContext, b: PerformanceBranch): Promise<BranchRun> {
  await loadParser();
  const queries = await splitStatementsOffThread(
    await readTextFile(b.queries, b.queries, MAX_SQL_BYTES),
    b.queries,
  );
  return onBranch(p, b.name, async (branch, client, config) => {
    let result = blankResult(b.name, branch);
    if (b.setup.length > 0) {
      result = await measureMigration({
        name: b.name,
        branch,
        connection: config,
        migration: {
          kind: 'sql',
          sql: b.setup.map((q) => (q.trim().endsWith(';') ? q : `${q};`)).join('\n'),
        },
        exec: execIn(p, branch),
        collectMetrics: true,
        signal: p.signal,
        onProgress: (x) => p.onProgress?.({ message: `${b.name}: setup: ${x.message}` }),
      });
      if (result.status === 'failed') return { result, checks: [] };
    }
    // Fresh statistics, so the planner sees the index the setup added, as it would in production.
    await client.query('ANALYZE');
    const runOnce = async (latencies: number[] | null) => {
      for (const q of queries) {
        const start = performance.now();
        await client.query(q.sql);
        latencies?.push(performance.now() - start);
      }
    };
    try {
      p.onProgress?.({ message: `${b.name}: ${b.warmup} warm-up run(s)` });
      for (let i = 0; i < b.warmup; i++) await runOnce(null);
      const latencies: number[] = [];
      p.onProgress?.({
        message: `${b.name}: ${b.iterations} measured run(s) of ${queries.length} statement(s)`,
      });
      const start = performance.now();
      for (let i = 0; i < b.iterations; i++) {
        throwIfAborted(p.signal);
        await runOnce(latencies);
      }
      const wall = performance.now() - start;
      const stats = latencyStats(latencies, wall);
      result.metrics = Object.fromEntries(b.metrics.map((m) => [m, stats[m] ?? null]));
    } catch (err) {
      result.status = 'failed';
      result.error = `queries failed: ${err instanceof Error ? err.message : String(err)}`;
    }
    return { result, checks: [] };
  });
}
