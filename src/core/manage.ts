/** Branch and checkpoint management: list (registry only, starts nothing), delete, gc, rollback. */
import type { GcReport, RollbackResult } from '../backends/backend.js';
import { unknownBranch } from '../backends/messages.js';
import { engineOf } from '../engines/engine.js';
import type { BranchList } from '../result.js';
import type { Context } from './context.js';

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
  await (await ctx.backend()).destroy(name);
  return { removed: name };
}

export async function deleteCheckpoint(
  ctx: Context,
  tag: string,
  force = false,
): Promise<{ removed: string }> {
  await (await ctx.backend()).deleteCheckpoint(tag, { force });
  return { removed: tag };
}

export async function gcState(ctx: Context): Promise<GcReport> {
  return (await ctx.backend()).gc();
}

export async function rollbackCheckpoint(
  ctx: Context,
  tag: string,
  signal?: AbortSignal,
): Promise<RollbackResult> {
  return (await ctx.backend()).rollback(tag, { signal });
}
