import * as z from 'zod';
import { withEngine } from '../core/engine-context.js';
import { createCheckpoint } from '../core/index.js';
import { renderCheckpointText } from '../report/checkpoint.js';
import { CheckpointReportSchema } from '../result.js';
import { defineTool } from './define.js';
import { EngineInput } from './engine-input.js';
import { nameInput } from './limits.js';

const InputSchema = z.object({
  tag: nameInput().describe(
    'Name of the checkpoint, e.g. "before-v2" (letters, digits, ".", "_", "-"; at most 48 characters)',
  ),
  database: nameInput()
    .optional()
    .describe(
      'Database to snapshot on the local backend; defaults to the one in DATABASE_URL (or "postgres"; on MySQL the tool-owned server\'s "app")',
    ),
  engine: EngineInput,
  include_stats: z
    .boolean()
    .default(true)
    .describe('Also report exact row counts and sizes of every user table at checkpoint time'),
});

export const dbCheckpoint = defineTool({
  name: 'db_checkpoint',
  title: 'Checkpoint the database',
  description:
    'Snapshot the current database state under a tag, so migrations can be tested on branches of it. ' +
    'Run this once before db_migration_test / db_test_strategies; the tag is their `baseline`. ' +
    'The source database is not changed; PostgreSQL copies it only while no other session is connected, ' +
    'so the call fails naming those sessions if there are any. Returns the checkpoint id, how it was ' +
    'copied, and per-table row counts and sizes.',
  inputSchema: InputSchema,
  outputSchema: CheckpointReportSchema,
  // Adds a checkpoint and never overwrites one (an existing tag is a conflict), so not destructive.
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  handler: (args, { ctx, signal, onProgress }) =>
    withEngine(ctx, args.engine, (c) =>
      createCheckpoint(c, {
        tag: args.tag,
        database: args.database,
        includeStats: args.include_stats,
        signal,
        onProgress,
        createdBy: 'mcp db_checkpoint',
      }),
    ),
  render: renderCheckpointText,
});
