import type { Context } from '../core/context.js';
import { InvalidInputError } from '../errors.js';

export async function versUp(_ctx: Context): Promise<number> {
  throw new InvalidInputError('`vers-db up --backend vers` is not available in this build yet');
}
