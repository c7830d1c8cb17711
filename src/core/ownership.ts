/**
 * What a command may replace: only what that command created. The registry records the objects
 * a suite run's setup (or the demo) made in its database and who made each checkpoint and
 * branch; a user's checkpoint, their kept branches and objects they added are never dropped
 * (unless `vers-db run --rebuild` for a suite's source).
 */
import type { Backend } from '../backends/backend.js';
import { withSource } from '../backends/with-branch.js';
import { ConflictError } from '../errors.js';
import type { SourceRecord } from '../state/registry.js';
import type { Context } from './context.js';
import { addedObjects, databaseInventory } from './inventory.js';

/** The creator recorded for everything a suite run makes (branches too, see src/suite/patterns/context.ts). */
export const SUITE_CREATOR = 'vers-db run';
/** The demo's database and checkpoint; its branches are recorded as DEMO_BRANCH_CREATOR. */
export const DEMO_CREATOR = 'vers-db demo';
export const DEMO_BRANCH_CREATOR = 'cli demo';
const SHOWN = 5;

export async function sourceRecord(ctx: Context, database: string): Promise<SourceRecord | undefined> {
  return (await ctx.registry.read()).sources?.[database];
}

/** Record what the setup created in the source database, so the next run can tell what is not its own. */
export async function recordSource(ctx: Context, backend: Backend, createdBy: string): Promise<void> {
  await withSource(backend, (source) => recordDatabase(ctx, source.config, createdBy));
}

/** Record a database as made by `createdBy`, with the objects it holds now. */
export async function recordDatabase(
  ctx: Context,
  config: import('pg').ClientConfig,
  createdBy: string,
  options: { loading?: boolean } = {},
): Promise<void> {
  const database = String(config.database ?? 'postgres');
  const objects = options.loading ? [] : await databaseInventory(config);
  await ctx.registry.update((d) => {
    d.sources ??= {};
    d.sources[database] = {
      createdBy,
      createdAt: new Date().toISOString(),
      objects,
      loading: options.loading,
    };
  });
}

/**
 * Throw unless the database may be rebuilt: it is empty, or an earlier run of this project made
 * it (marker and registry record) and it holds nothing that run's setup did not create.
 */
export function refuseForeignObjects(
  database: string,
  marked: boolean,
  objects: string[],
  record: SourceRecord | undefined,
): void {
  if (objects.length === 0) return;
  const list = (xs: string[]) =>
    `${xs.slice(0, SHOWN).join(', ')}${xs.length > SHOWN ? ` and ${xs.length - SHOWN} more` : ''}`;
  if (!marked || !record) {
    throw new ConflictError(
      `the suite's setup would rebuild database "${database}", which holds ${objects.length} object(s) no suite run of this project created: ${list(objects)}`,
      {
        hint: `run the suite against an empty database (DATABASE_URL), or pass --rebuild (MCP: rebuild: true) to drop "${database}" and everything in it`,
      },
    );
  }
  const added = addedObjects(record.objects, objects);
  if (added.length > 0) {
    throw new ConflictError(
      `database "${database}" holds ${added.length} object(s) the suite's setup did not create: ${list(added)}`,
      {
        hint: `they were added after the last \`vers-db run\` (${record.createdAt}); move them elsewhere, or pass --rebuild (MCP: rebuild: true) to drop them with the database`,
      },
    );
  }
}

/**
 * A command replaces a checkpoint only if it made it (`creator`) and every branch of it was made
 * by `branchCreator` too: a user's checkpoint and their kept branches stay.
 */
export async function assertMayReplace(
  ctx: Context,
  tag: string,
  creator: string,
  branchCreator: string,
  rename: string,
): Promise<void> {
  const ckpt = await ctx.registry.checkpoint(tag);
  if (!ckpt) return;
  if (ckpt.createdBy !== creator) {
    throw new ConflictError(
      `checkpoint "${tag}" already exists and was made by ${ckpt.createdBy ?? 'the user'}, not by \`${creator}\`: it is not replaced`,
      {
        hint: `${rename}, or remove it yourself (\`vers-db delete ${tag} --checkpoint --force\`)`,
      },
    );
  }
  const foreign = (await ctx.registry.listBranches()).filter(
    (b) => b.checkpoint === tag && b.createdBy !== branchCreator,
  );
  if (foreign.length > 0) {
    throw new ConflictError(
      `checkpoint "${tag}" has branches made outside suite runs (${foreign.map((b) => `${b.name} by ${b.createdBy}`).join(', ')}): it is not replaced`,
      { hint: 'delete those branches yourself (`vers-db delete <branch>`) when you are done with them' },
    );
  }
}
