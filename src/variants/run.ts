/**
 * The variants commands' core: suggest variants for a migration (reading the checkpoint's
 * catalog on a throwaway branch), and test the original, any hand-written strategies and the
 * generated variants side by side, each compared with the original's end state.
 */
import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import { buildComparison } from '../analysis/rank.js';
import { withBranchClient } from '../backends/with-branch.js';
import type { Context } from '../core/context.js';
import { testStrategies } from '../core/index.js';
import { resolveMigration } from '../core/migration-input.js';
import { requireCheckpoint } from '../core/test.js';
import type { MigrationInput, TestStrategiesInput } from '../core/types.js';
import type { Comparison, StrategyResult } from '../result.js';
import { deriveBranchName } from '../state/names.js';
import { type Catalog, NO_CATALOG, PgCatalog } from './catalog.js';
import { type EndState, endStateDifferences, readEndState } from './equivalence.js';
import { suggestVariants, type VariantsReport } from './generate.js';

/** Run `fn` with the catalog of a checkpoint, read on a branch made for it and removed after. */
async function withCheckpointCatalog<T>(
  ctx: Context,
  baseline: string,
  signal: AbortSignal | undefined,
  fn: (catalog: Catalog) => Promise<T>,
): Promise<T> {
  await requireCheckpoint(ctx, baseline);
  const backend = await ctx.backend();
  const name = deriveBranchName('catalog', randomBytes(3).toString('hex'));
  const [branch] = await backend.branch(baseline, [name], { signal, createdBy: 'vers-db variants' });
  try {
    return await withBranchClient(backend, branch!.name, (c) => fn(new PgCatalog(c)), {
      as: 'owner',
      applicationName: 'vers-db:catalog',
    });
  } finally {
    await backend
      .destroy(branch!.name)
      .catch((e: Error) => ctx.log(`could not remove ${branch!.name}: ${e.message}`));
  }
}

export interface SuggestInput {
  migrations: MigrationInput[];
  /** Checkpoint whose catalog tells partitions, primary keys, volatility and type changes. */
  baseline?: string;
  signal?: AbortSignal;
}

export async function suggestForMigrations(ctx: Context, input: SuggestInput): Promise<VariantsReport[]> {
  const resolved = await Promise.all(input.migrations.map((m, i) => resolveMigration(m, ctx.cwd, i)));
  const run = async (catalog: Catalog) => {
    const reports: VariantsReport[] = [];
    for (const m of resolved) {
      if (m.source.kind !== 'sql') continue; // a shell command has no parse tree
      reports.push(
        await suggestVariants({
          sql: m.source.sql,
          migration: m.source.file ?? m.name,
          name: basename(m.name),
          catalog,
          stateDir: ctx.stateDir,
        }),
      );
    }
    return reports;
  };
  return input.baseline ? withCheckpointCatalog(ctx, input.baseline, input.signal, run) : run(NO_CATALOG);
}

export type VariantsComparison = Comparison & { variants: VariantsReport[] };

/**
 * Test the first migration (the original), the other given strategies and every generated
 * variant; each is compared with the original's end state, which needs a run with no
 * workload writing meanwhile.
 */
export async function testWithVariants(
  ctx: Context,
  input: TestStrategiesInput,
): Promise<VariantsComparison> {
  const reports = await suggestForMigrations(ctx, {
    migrations: input.migrations,
    baseline: input.baseline,
    signal: input.signal,
  });
  const variants = reports.flatMap((r) => r.variants);
  for (const r of reports) {
    for (const n of r.not_rewritten) ctx.log(`${r.migration}: statement ${n.statement}: ${n.reason}`);
    if (r.variants.length === 0) ctx.log(`${r.migration}: the catalogue has no safer rewrite for it`);
  }
  const migrations = [
    ...input.migrations,
    ...variants.map((v) => ({ migration: v.file, name: v.name, kind: 'file' as const })),
  ];
  const volatile = new Set(variants.flatMap((v) => v.volatile_columns));
  const states = new Map<number, EndState>();
  const readState: TestStrategiesInput['afterRun'] = async (backend, branch, index, result) => {
    if (result.status !== 'passed') return;
    try {
      const state = await withBranchClient(backend, branch, (c) => readEndState(c, volatile), {
        as: input.superuser ? 'superuser' : 'owner',
        applicationName: 'vers-db:end-state',
      });
      states.set(index, state);
    } catch (err) {
      ctx.log(`${result.name}: could not read its end state: ${(err as Error).message}`);
    }
  };
  if (!input.workload) {
    const comparison = await testStrategies(ctx, {
      ...input,
      migrations,
      afterRun: readState,
      beforeRank: (results) => judge(results, states),
    });
    return { ...comparison, variants: reports };
  }
  // A workload writes to the branch while it runs: the end states are read on a second, quiet
  // run of each strategy (no workload, no probes), and the measured results judged by them.
  const measured = await testStrategies(ctx, { ...input, migrations });
  ctx.log('end states: running each strategy again without the workload');
  await testStrategies(ctx, {
    ...input,
    migrations,
    workload: undefined,
    deploy: undefined,
    collectMetrics: false,
    longReaderMs: undefined,
    validation: undefined,
    keepBranches: false,
    afterRun: readState,
  });
  judge(measured.results, states);
  const ranked = buildComparison(
    measured.baseline,
    measured.backend,
    measured.results,
    measured.mode ?? 'serial',
  );
  return { ...ranked, variants: reports };
}

function judge(results: StrategyResult[], states: Map<number, EndState>): void {
  const original = results[0];
  if (!original) return;
  const reference = states.get(0);
  original.equivalence = { status: 'original', original: original.name, differences: [] };
  results.slice(1).forEach((r, i) => {
    const state = states.get(i + 1);
    const unchecked = (reason: string): StrategyResult['equivalence'] => ({
      status: 'unchecked',
      original: original.name,
      differences: [],
      reason,
    });
    if (!reference) r.equivalence = unchecked(`${original.name} did not finish`);
    else if (!state)
      r.equivalence = unchecked(r.status === 'passed' ? 'its end state could not be read' : 'it failed');
    else {
      const differences = endStateDifferences(reference, state);
      r.equivalence = {
        status: differences.length ? 'different' : 'same',
        original: original.name,
        differences,
      };
    }
  });
}
