/**
 * Crash recovery without asking: when any command or the MCP server starts, it cleans up after
 * tool processes that died (kill -9, a closed laptop, an OOM kill) — their process groups (shell
 * steps, `vers tunnel`), their branches and unfinished checkpoints. `vers-db gc` is the manual
 * form of the same. Nothing that belongs to a live process or that the user kept is touched, and
 * in the common case (nothing died) this reads two small files and starts nothing.
 */

import { embeddedStatus } from '../backends/embedded.js';
import { processAlive, reapOrphanedChildren } from '../state/children.js';
import type { RegistryData } from '../state/registry.js';
import type { Context } from './context.js';

/** Registry entries of this backend left behind by processes that are gone. */
export function leftoversOf(data: RegistryData, backend: string): string[] {
  const out: string[] = [];
  for (const b of Object.values(data.branches)) {
    if (b.backend !== backend) continue;
    const dead = !processAlive(b.pid);
    if (dead && (b.state !== 'ready' || !b.keep)) out.push(`branch ${b.name}`);
  }
  for (const c of Object.values(data.checkpoints)) {
    if (c.backend !== backend || c.state === 'ready') continue;
    if (c.pid === undefined || !processAlive(c.pid)) out.push(`unfinished checkpoint ${c.tag}`);
  }
  if (backend === 'vers') {
    for (const v of Object.values(data.vms ?? {})) {
      if (v.state === 'creating' && (v.pid === undefined || !processAlive(v.pid))) out.push(`VM ${v.label}`);
    }
  }
  return out;
}

async function localServerUp(ctx: Context): Promise<boolean> {
  if (ctx.backendKind !== 'local') return false;
  if (ctx.env.DATABASE_URL?.trim()) return true;
  return (await embeddedStatus(ctx.stateDir).catch(() => null))?.running ?? false;
}

/** Clean up after dead processes; returns one line per thing removed. Never throws. */
export async function recoverAfterCrashes(ctx: Context): Promise<string[]> {
  const done: string[] = [];
  try {
    done.push(...(await reapOrphanedChildren(ctx.stateDir)).map((s) => `stopped ${s}`));
    const data = await ctx.registry.read();
    const known = leftoversOf(data, ctx.backendKind).length > 0;
    // A database a dead process made but never recorded (its CREATE finished after the process was
    // gone) is found only on the server: sweep whenever the server is up anyway, never start one for it.
    if (known || (await localServerUp(ctx))) {
      try {
        const report = await (await ctx.backend()).gc();
        done.push(...report.removed.map((r) => `removed ${r}`));
        for (const e of report.errors) ctx.log(`crash recovery: could not clean up ${e}`);
      } catch (err) {
        if (known) throw err;
      }
    }
  } catch (err) {
    ctx.log(`crash recovery skipped: ${(err as Error).message}`);
  }
  if (done.length > 0) ctx.log(`cleaned up after an exited vers-db process: ${done.join('; ')}`);
  return done;
}
