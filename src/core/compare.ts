/**
 * Compare branches: exact row counts and schema of each against the checkpoint it came from, and
 * optionally a user query run on each branch, read-only, bounded in time and rows, as a role that
 * may only read that branch. Which engine's comparison runs is the branches' (core/engines).
 */
import { DEFAULT_ENGINE } from '../engines/index.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import type { BranchComparison } from '../result.js';
import type { BranchEntry } from '../state/registry.js';
import { loadCheckpointSnapshot } from './checkpoint-snapshot.js';
import type { Context } from './context.js';
import { withEngine } from './engine-context.js';
import { checkEngine } from './engine-of.js';
import { coreEngine } from './engines/index.js';
import type { CompareInput } from './types.js';

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_ROWS = 200;
/** Row data kept per branch; past it the result is truncated (a tool result must stay readable). */
export const MAX_RESULT_BYTES = 4 * 1024 * 1024;

export async function compareBranches(ctx: Context, input: CompareInput): Promise<BranchComparison> {
  if (input.branches.length === 0) throw new InvalidInputError('name at least one branch to compare');
  const entries: BranchEntry[] = [];
  for (const name of input.branches) {
    const b = await ctx.registry.branch(name);
    if (b?.state !== 'ready') {
      const known = (await ctx.registry.listBranches()).filter((x) => x.state === 'ready').map((x) => x.name);
      throw new NotFoundError(`no branch named ${JSON.stringify(name)}`, {
        hint: known.length
          ? `existing branches: ${known.join(', ')}`
          : 'branches exist only while kept: run a test with --keep-branch (keep_branch: true)',
      });
    }
    entries.push(b);
  }
  const reference = entries[0]!.checkpoint;
  const snap = await loadCheckpointSnapshot(ctx.stateDir, reference);
  const timeoutMs = input.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxRows = input.maxRows ?? DEFAULT_MAX_ROWS;
  const engine = entries[0]!.engine ?? snap.engine ?? DEFAULT_ENGINE;
  if (input.engine) checkEngine({ name: entries[0]!.name, engine }, input.engine);
  for (const b of entries) {
    if ((b.engine ?? engine) !== engine)
      throw new InvalidInputError(`branches ${entries[0]!.name} and ${b.name} are of different engines`);
  }
  const core = coreEngine(engine);
  if (input.query !== undefined) await core.checkCompareQuery(input.query);
  const limits = { timeoutMs, maxRows, maxBytes: MAX_RESULT_BYTES };
  const sourceDatabase = (await ctx.registry.checkpoint(reference))?.database;
  // Read through the backend of the branches' engine, whichever this context was made for.
  return withEngine(ctx, engine, async (c) =>
    core.compare({ backend: await c.backend(), entries, snapshot: snap, input, limits, sourceDatabase }),
  );
}
