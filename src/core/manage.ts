/** Branch and checkpoint management: list (registry only, starts nothing), delete, gc, rollback. */
import type { GcReport, RollbackResult } from '../backends/backend.js';
import { unknownBranch } from '../backends/messages.js';
import { engineOf } from '../engines/engine.js';
import { describeError } from '../errors.js';
import type { BranchList, EngineName } from '../result.js';
import type { Context } from './context.js';
import { withEngine } from './engine-context.js';
import { checkpointEngine } from './mysql-checkpoint.js';

export async function listState(ctx: Context): Promise<BranchList> {
  const data = await ctx.registry.read();
  return {
    checkpoints: Object.values(data.checkpoints).map((c) => ({
      tag: c.tag,
      backend: c.backend,
      engine: engineOf(c),
      id: c.id,
      source: c.source,
      strategy: c.strategy,
      created_at: c.createdAt,
      state: c.damaged ? 'damaged' : c.state,
    })),
    branches: Object.values(data.branches).map((b) => ({
      name: b.name,
      backend: b.backend,
      engine: engineOf(b),
      checkpoint: b.checkpoint,
      id: b.id,
      created_at: b.createdAt,
      created_by: b.createdBy,
      state: b.state,
    })),
  };
}

export async function deleteBranch(ctx: Context, name: string): Promise<{ removed: string }> {
  const b = await ctx.registry.branch(name);
  if (!b) throw unknownBranch(name);
  // Removed by the backend of its own engine, whichever this context was made for.
  await withEngine(ctx, engineOf(b), async (c) => (await c.backend()).destroy(name));
  return { removed: name };
}

export async function deleteCheckpoint(
  ctx: Context,
  tag: string,
  force = false,
): Promise<{ removed: string }> {
  const entry = await ctx.registry.checkpoint(tag);
  const engine = entry ? await checkpointEngine(ctx, entry) : ctx.engine;
  await withEngine(ctx, engine, async (c) => (await c.backend()).deleteCheckpoint(tag, { force }));
  return { removed: tag };
}

/** gc by this context's engine, and by every other engine the registry holds records of. */
export async function gcState(ctx: Context): Promise<GcReport> {
  const data = await ctx.registry.read();
  const engines = new Set<EngineName>([ctx.engine]);
  for (const e of [...Object.values(data.checkpoints), ...Object.values(data.branches)])
    engines.add(engineOf(e));
  const out: GcReport = { removed: [], kept: [], errors: [] };
  for (const engine of engines) {
    const gc = () => withEngine(ctx, engine, async (c) => (await c.backend()).gc());
    // Another engine's leftovers are reported, not fatal to this engine's gc.
    const r =
      engine === ctx.engine
        ? await gc()
        : await gc().catch((e: unknown) => ({
            removed: [],
            kept: [],
            errors: [`${engine}: ${describeError(e)}`],
          }));
    out.removed.push(...r.removed);
    out.kept.push(...r.kept);
    out.errors.push(...r.errors);
  }
  return out;
}

export async function rollbackCheckpoint(
  ctx: Context,
  tag: string,
  signal?: AbortSignal,
): Promise<RollbackResult> {
  const entry = await ctx.registry.checkpoint(tag);
  const engine = entry ? await checkpointEngine(ctx, entry) : ctx.engine;
  return withEngine(ctx, engine, async (c) => (await c.backend()).rollback(tag, { signal }));
}
