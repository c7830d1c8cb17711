/**
 * After a test: every strategy that passed and was not rejected records its migration as tested
 * (src/state/tested.ts), which is what the guard hook checks before Claude applies migrations.
 * SQL is keyed by its text; a shell-command strategy (`npx prisma migrate deploy`) records the
 * migration files that command would apply: the framework's files new or changed against HEAD.
 */
import { relative } from 'node:path';
import { rejectionReason } from '../analysis/rank.js';
import { detectMigrationCommands } from '../guard/detect.js';
import { pendingFiles } from '../guard/pending.js';
import type { Comparison } from '../result.js';
import { contentHash, type TestedEntry } from '../state/tested.js';
import { recordTested } from '../state/tested-record.js';
import type { Context } from './context.js';
import { type ResolvedMigration, resolveMigration } from './migration-input.js';

export async function recordTestedStrategies(
  ctx: Context,
  resolved: readonly ResolvedMigration[],
  comparison: Comparison,
): Promise<void> {
  const entries: Record<string, TestedEntry> = {};
  const at = new Date().toISOString();
  for (const m of resolved) {
    const r = comparison.results.find((x) => x.name === m.name);
    const rejected = comparison.rejected?.some((x) => x.name === m.name);
    if (!r || rejected || r.status !== 'passed' || rejectionReason(r) !== null) continue;
    const base = { strategy: m.name, baseline: comparison.baseline, backend: comparison.backend, at };
    if (m.source.kind === 'sql') {
      entries[contentHash(m.source.sql)] = { ...base, path: m.source.file ?? null };
    } else {
      for (const f of pendingFiles(detectMigrationCommands(m.source.command, ctx.cwd)))
        entries[f.hash] = { ...base, path: relative(ctx.cwd, f.path) };
    }
  }
  await recordTested(ctx.stateDir, entries);
}

/** A suite's migration branches after its run: each is a SQL file or SQL text (resolved in `dir`). */
export async function recordTestedSuiteBranches(
  ctx: Context,
  dir: string,
  branches: readonly { name: string; migration: string }[],
  comparison: Comparison,
): Promise<void> {
  const resolved: ResolvedMigration[] = [];
  for (const [i, b] of branches.entries()) {
    const m = await resolveMigration({ migration: b.migration }, dir, i).catch(() => null);
    if (m) resolved.push({ ...m, name: b.name });
  }
  await recordTestedStrategies(ctx, resolved, comparison);
}
