import type { CheckpointReport } from '../result.js';
import type { Context } from './context.js';
import type { CheckpointInput } from './types.js';

export async function createCheckpoint(_ctx: Context, _input: CheckpointInput): Promise<CheckpointReport> {
  throw new Error('createCheckpoint: being implemented');
}
