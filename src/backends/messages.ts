/**
 * Every user-facing "not found / taken / still has branches" message of the backends, once, so
 * both backends (and core, which checks a baseline before it starts a backend) say the same.
 */
import type { EngineName } from '../engines/engine.js';
import { engineLabel } from '../engines/index.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors.js';
import type { BranchEntry, Registry } from '../state/registry.js';
import type { BackendKind } from './backend.js';

/** "no checkpoint named …", listing the ready checkpoints of this backend. */
export async function unknownCheckpoint(
  registry: Registry,
  kind: BackendKind,
  tag: string,
): Promise<NotFoundError> {
  const known = (await registry.listCheckpoints(kind)).filter((c) => c.state === 'ready').map((c) => c.tag);
  return new NotFoundError(`no checkpoint named ${JSON.stringify(tag)}`, {
    hint: known.length
      ? `known checkpoints: ${known.join(', ')}`
      : 'create one first with `vers-db checkpoint <tag>` (MCP: db_checkpoint)',
  });
}

/** The database a checkpoint was asked of is not on the source's server (`where`: its URL or VM). */
export const unknownSourceDatabase = (name: string, where: string): NotFoundError =>
  new NotFoundError(`database ${JSON.stringify(name)} does not exist at ${where}`, {
    hint: 'checkpoint the source database (leave the database out), or create that database first',
  });

export const checkpointTaken = (tag: string): ConflictError =>
  new ConflictError(`checkpoint ${JSON.stringify(tag)} already exists`, {
    hint: 'pick another tag, or remove it first with `vers-db delete <tag> --checkpoint` (MCP: db_branches delete)',
  });

export const branchTaken = (name: string): ConflictError =>
  new ConflictError(`branch ${JSON.stringify(name)} already exists`, {
    hint: `pick another name, or remove it first with \`vers-db delete ${name}\` (MCP: db_branches delete)`,
  });

export const unknownBranch = (name: string): NotFoundError =>
  new NotFoundError(`no branch named ${JSON.stringify(name)}`, { hint: 'list them with `vers-db branches`' });

/** A branch that is recorded but not usable yet (being made) or any more (being removed). */
export const branchNotReady = (b: BranchEntry): ConflictError =>
  new ConflictError(
    `branch ${JSON.stringify(b.name)} is ${b.state === 'deleting' ? 'being removed' : 'still being created'}`,
    {
      hint: `wait for the process that is making it (pid ${b.pid}) to finish; \`vers-db gc\` removes it if that process is gone`,
    },
  );

export const stillHasBranches = (tag: string, children: readonly BranchEntry[]): ConflictError =>
  new ConflictError(
    `checkpoint ${JSON.stringify(tag)} still has branches: ${children.map((b) => b.name).join(', ')}`,
    { hint: 'delete those branches first, or delete the checkpoint with --force' },
  );

/** A checkpoint or branch of one engine used from a context of the other. */
export const engineMismatch = (
  what: 'checkpoint' | 'branch',
  name: string,
  has: EngineName,
  wants: EngineName,
): InvalidInputError =>
  new InvalidInputError(
    `${what} ${JSON.stringify(name)} is a ${engineLabel(has)} ${what}, but this command runs on ${engineLabel(wants)}`,
    {
      hint: `run it with --engine ${has} (MCP: engine "${has}"), or use a ${what} made on ${engineLabel(wants)}`,
    },
  );
