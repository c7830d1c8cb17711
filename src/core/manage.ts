import type { GcReport, RollbackResult } from '../backends/backend.js';
import type { BranchList } from '../result.js';
import type { Context } from './context.js';

export async function listState(_ctx: Context): Promise<BranchList> {
  throw new Error('listState: being implemented');
}
export async function deleteBranch(_ctx: Context, _name: string): Promise<{ removed: string }> {
  throw new Error('deleteBranch: being implemented');
}
export async function gcState(_ctx: Context): Promise<GcReport> {
  throw new Error('gcState: being implemented');
}
export async function rollbackCheckpoint(_ctx: Context, _tag: string): Promise<RollbackResult> {
  throw new Error('rollbackCheckpoint: being implemented');
}
