import type { BranchComparison } from '../result.js';
import type { Context } from './context.js';
import type { CompareInput } from './types.js';

export async function compareBranches(_ctx: Context, _input: CompareInput): Promise<BranchComparison> {
  throw new Error('compareBranches: being implemented');
}
