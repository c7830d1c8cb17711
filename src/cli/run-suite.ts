import type { Context } from '../core/context.js';
import { InvalidInputError } from '../errors.js';

export async function runSuiteCommand(_ctx: Context, _o: Record<string, unknown>): Promise<number> {
  throw new InvalidInputError('suites are not available in this build yet');
}
