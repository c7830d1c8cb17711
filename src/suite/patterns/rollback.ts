/**
 * rollback: up → validate → down → validate on one branch, judged against the checkpoint by
 * catalog schema (diffSchemas) and per-table checksums.
 */
import { diffSchemas, measureMigration, snapshotSchema, tableChecksums } from '../../collector/index.js';
import { loadParser } from '../../collector/split.js';
import { resolveMigration } from '../../core/migration-input.js';
import { throwIfAborted } from '../../errors.js';
import type { StrategyResult } from '../../result.js';
import { blankResult, migrationMetric } from '../measure.js';
import type { SuiteCheck } from '../result.js';
import type { RollbackBranch, Step } from '../schema.js';
import { type BranchRun, execIn, onBranch, type PatternContext, validate } from './context.js';

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
