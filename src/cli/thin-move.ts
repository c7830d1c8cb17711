/**
 * What `up --thin` does the same for every engine: keep a volume the state directory already has
 * (mounted, never resized), and refuse to move data onto a new one it would not fit.
 */
import { execa } from 'execa';
import { formatSize, mountThinVolume, parseSize, readThinVolume } from '../backends/thin-volume.js';
import type { Context } from '../core/context.js';
import { InvalidInputError } from '../errors.js';

export async function diskUsage(dir: string): Promise<number> {
  const r = await execa('du', ['-sb', '--', dir], { reject: false });
  return Number(String(r.stdout).split('\t')[0]) || 0;
}

/** Mount the state directory's volume if it has one (a different SIZE is said, not applied); whether it had one. */
export async function mountExistingVolume(ctx: Context, sizeArg: string | undefined): Promise<boolean> {
  const existing = await readThinVolume(ctx.stateDir);
  if (!existing) return false;
  if (sizeArg && parseSize(sizeArg) !== existing.sizeBytes)
    ctx.log(
      `the state directory already has a ${formatSize(existing.sizeBytes)} thin volume; keeping it (a volume is not resized)`,
    );
  await mountThinVolume(ctx.stateDir, ctx.log);
  return true;
}

/** `what` in `dir` must fit in 80 % of a `size`-byte volume; its size in bytes. */
export async function checkFits(what: string, dir: string, size: number, upArgs = ''): Promise<number> {
  const bytes = await diskUsage(dir);
  if (bytes > size * 0.8)
    throw new InvalidInputError(
      `${what} in ${dir} (${formatSize(bytes)}) would not fit a ${formatSize(size)} thin volume`,
      {
        hint: `vers-db up --thin ${formatSize(Math.max(bytes * 3, 2 ** 30))}${upArgs}`,
      },
    );
  return bytes;
}
