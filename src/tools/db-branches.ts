import * as z from 'zod';
import { withEngine } from '../core/engine-context.js';
import { deleteBranch, deleteCheckpoint, gcState, listState, rollbackCheckpoint } from '../core/index.js';
import { InvalidInputError } from '../errors.js';
import { renderBranchListText } from '../report/branch-list.js';
import { BranchListSchema } from '../result.js';
import { defineTool } from './define.js';
import { EngineInput } from './engine-input.js';
import { nameInput } from './limits.js';

const InputSchema = z.object({
  action: z
    .enum(['list', 'delete', 'gc', 'rollback'])
    .describe(
      'list: checkpoints and branches; delete: remove the branch `name` (or the checkpoint `tag`); gc: ' +
        'remove leftovers of interrupted runs; rollback: make a fresh writable copy of checkpoint `tag`, ' +
        'replacing the previous copy (the source database is not touched)',
    ),
  name: nameInput().optional().describe('Branch to delete (action "delete")'),
  tag: nameInput()
    .optional()
    .describe('Checkpoint to copy (action "rollback"), or to delete (action "delete" without `name`)'),
  engine: EngineInput.describe(
    'gc: also sweep this engine\'s leftovers ("postgres" or "mysql"; every engine with records is swept anyway). ' +
      'Other actions use the engine recorded with the branch or checkpoint.',
  ),
});

// One plain object at the root (Claude Code flattens root-level unions); one optional field per action.
const OutputSchema = z.object({
  action: z.enum(['list', 'delete', 'gc', 'rollback']),
  list: BranchListSchema.optional().describe('action "list": what the registry holds'),
  deleted: z
    .object({ removed: z.string(), kind: z.enum(['branch', 'checkpoint']) })
    .optional()
    .describe('action "delete": what was removed'),
  gc: z
    .object({
      removed: z.array(z.string()).describe('leftover branches, checkpoints and databases removed'),
      kept: z.array(z.string()).describe('entries that are in use and were kept'),
      errors: z.array(z.string()).describe('what could not be removed, and why'),
    })
    .optional()
    .describe('action "gc"'),
  rollback: z
    .object({
      tag: z.string(),
      target: z
        .string()
        .describe('the fresh working copy of the checkpoint: its postgres:// URL (password redacted) or VM'),
      removed: z.string().nullable().describe('the previous working copy that was replaced'),
    })
    .optional()
    .describe('action "rollback"'),
});
type BranchesResult = z.infer<typeof OutputSchema>;

/** Passwords stay out of the model's context; the user's environment already has them. */
const redactPassword = (target: string) => target.replace(/^(postgres(?:ql)?:\/\/[^:/@]*:)[^@]*@/, '$1***@');

function required(value: string | undefined, field: string, action: string): string {
  if (value === undefined || value === '') {
    throw new InvalidInputError(`db_branches action "${action}" needs \`${field}\``, {
      hint: 'run db_branches with action "list" to see the names',
    });
  }
  return value;
}

function render(r: BranchesResult): string {
  if (r.list) return renderBranchListText(r.list);
  if (r.deleted) return `removed ${r.deleted.kind} ${r.deleted.removed}`;
  if (r.gc) {
    const lines = [`gc removed ${r.gc.removed.length > 0 ? r.gc.removed.join(', ') : 'nothing'}`];
    if (r.gc.kept.length > 0) lines.push(`kept (in use): ${r.gc.kept.join(', ')}`);
    for (const e of r.gc.errors) lines.push(`could not remove: ${e}`);
    return lines.join('\n');
  }
  if (r.rollback) {
    const removed = r.rollback.removed ? ` (replacing the previous copy ${r.rollback.removed})` : '';
    return `fresh writable copy of checkpoint ${r.rollback.tag}: ${r.rollback.target}${removed}`;
  }
  return r.action;
}

export const dbBranches = defineTool({
  name: 'db_branches',
  title: 'Manage checkpoints and branches',
  description:
    'List checkpoints and branches, delete a branch or a checkpoint, garbage-collect leftovers of ' +
    'interrupted runs, or make a fresh writable copy of a checkpoint for rollback testing. "list" ' +
    'changes nothing; "delete", "gc" and "rollback" drop databases (rollback replaces the previous copy ' +
    'of that checkpoint). The source database is never touched.',
  inputSchema: InputSchema,
  outputSchema: OutputSchema,
  // Not read-only as a whole: delete, gc and rollback drop databases. Repeating any of them is harmless.
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  async handler(args, { ctx, signal }): Promise<BranchesResult> {
    switch (args.action) {
      case 'list':
        return { action: 'list', list: await listState(ctx) };
      case 'delete': {
        if (!args.name && args.tag) {
          const { removed } = await deleteCheckpoint(ctx, args.tag);
          return { action: 'delete', deleted: { removed, kind: 'checkpoint' } };
        }
        const { removed } = await deleteBranch(ctx, required(args.name, 'name or tag', 'delete'));
        return { action: 'delete', deleted: { removed, kind: 'branch' } };
      }
      case 'gc':
        return { action: 'gc', gc: await withEngine(ctx, args.engine, gcState) };
      case 'rollback': {
        const r = await rollbackCheckpoint(ctx, required(args.tag, 'tag', 'rollback'), signal);
        return { action: 'rollback', rollback: { ...r, target: redactPassword(r.target) } };
      }
    }
  },
  render,
});
