/**
 * `vers-db up --backend vers`: a base VM with PostgreSQL (or MariaDB with `--engine mysql`),
 * recorded so every command can use it.
 */
import { provisionVersBase } from '../backends/vers-provision.js';
import type { Context } from '../core/context.js';
import { printText } from './output.js';

export interface VersUpOptions {
  template?: string;
  database?: string;
  fresh?: boolean;
}

export async function versUp(ctx: Context, o: VersUpOptions = {}): Promise<number> {
  const r = await provisionVersBase(ctx, {
    template: o.template,
    databases: o.database ? [o.database] : undefined,
    fresh: o.fresh,
    onProgress: ctx.log,
  });
  // stdout: the one machine-readable line; how to load data goes to stderr.
  printText(`VERS_VM=${r.vm}`);
  for (const line of r.instructions) ctx.log(line);
  return 0;
}
