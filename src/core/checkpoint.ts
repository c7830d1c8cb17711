import { performance } from 'node:perf_hooks';
import { withSource } from '../backends/with-branch.js';
import { engineOf } from '../engines/engine.js';
import type { CheckpointReport } from '../result.js';
import { validateName } from '../state/names.js';
import { saveCheckpointSnapshot } from './checkpoint-snapshot.js';
import type { Context } from './context.js';
import { coreEngine } from './engines/index.js';
import type { CheckpointInput } from './types.js';

/** Snapshot the source database (or VM) under a tag, with its row counts and schema on record. */
export async function createCheckpoint(ctx: Context, input: CheckpointInput): Promise<CheckpointReport> {
  validateName('checkpoint tag', input.tag);
  const backend = await ctx.backend();
  input.onProgress?.({ message: `reading ${input.tag}'s source before the copy`, progress: 0, total: 2 });
  const before = await withSource(backend, async (source) => {
    const config = input.database ? { ...source.config, database: input.database } : source.config;
    return coreEngine(engineOf(source)).readSource(ctx, input.tag, { ...source, config }, backend);
  });
  const { snapshot } = before;
  input.onProgress?.({
    message: `copying ${before.database} into checkpoint ${input.tag}`,
    progress: 1,
    total: 2,
  });
  const start = performance.now();
  const info = await backend.checkpoint(input.tag, {
    database: input.database,
    signal: input.signal,
    createdBy: input.createdBy,
  });
  await before.afterCopy(ctx, input.signal);
  // Who made it (recorded by the backend) decides who may replace it: a suite run or the demo only their own.
  await saveCheckpointSnapshot(ctx.stateDir, snapshot);
  input.onProgress?.({ message: `checkpoint ${input.tag} created`, progress: 2, total: 2 });
  const includeStats = input.includeStats ?? true;
  return {
    status: 'checkpoint_created',
    tag: info.tag,
    backend: info.backend,
    id: info.id,
    source: info.source,
    database: info.database,
    strategy: info.strategy,
    duration_ms: info.durationMs || Math.round(performance.now() - start),
    created_at: info.createdAt,
    ...(snapshot.engine ? { engine: snapshot.engine } : {}),
    tables: includeStats
      ? Object.entries(snapshot.rowCounts)
          .map(([relation, rows]) => ({ relation, rows, total_bytes: snapshot.sizes[relation] ?? 0 }))
          .sort((a, b) => b.rows - a.rows)
      : null,
    next: [
      `vers-db test ${info.tag} <strategy-a.sql> <strategy-b.sql>   (MCP: db_test_strategies)`,
      `vers-db rollback ${info.tag}   (a fresh writable copy of this checkpoint)`,
    ],
  };
}
