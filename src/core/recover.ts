/**
 * Crash recovery without asking: when any command or the MCP server starts, it cleans up after
 * tool processes that died (kill -9, a closed laptop, an OOM kill) — their process groups (shell
 * steps, `vers tunnel`), their branches and unfinished checkpoints. `vers-db gc` is the manual
 * form of the same. Nothing that belongs to a live process or that the user kept is touched, and
 * in the common case (nothing died) this reads two small files and starts nothing.
 */

import type { Backend } from '../backends/backend.js';
import { embeddedStatus } from '../backends/embedded.js';
import { ENGINE_NAMES, type EngineName, engineOf } from '../engines/engine.js';
import { DEFAULT_ENGINE } from '../engines/index.js';
import { processAlive, reapOrphanedChildren } from '../state/children.js';
import type { RegistryData } from '../state/registry.js';
import type { Context } from './context.js';
import { withEngine } from './engine-context.js';

/** Registry entries of this backend and engine left behind by processes that are gone. */
export function leftoversOf(
  data: RegistryData,
  backend: string,
  engine: EngineName = DEFAULT_ENGINE,
): string[] {
  const out: string[] = [];
  const other = (e: { backend: string; engine?: EngineName }) =>
    e.backend !== backend || engineOf(e) !== engine;
  for (const b of Object.values(data.branches)) {
    if (other(b)) continue;
    const dead = !processAlive(b.pid);
    if (dead && (b.state !== 'ready' || !b.keep)) out.push(`branch ${b.name}`);
  }
  for (const c of Object.values(data.checkpoints)) {
    if (other(c) || c.state === 'ready') continue;
    if (c.pid === undefined || !processAlive(c.pid)) out.push(`unfinished checkpoint ${c.tag}`);
  }
  // VMs are the backend's, not an engine's: listed once, with the default engine's leftovers.
  if (backend === 'vers' && engine === DEFAULT_ENGINE) {
    for (const v of Object.values(data.vms ?? {})) {
      if (v.state === 'creating' && (v.pid === undefined || !processAlive(v.pid))) out.push(`VM ${v.label}`);
    }
  }
  return out;
}

async function localServerUp(ctx: Context): Promise<boolean> {
  if (ctx.backendKind !== 'local' || ctx.engine !== 'postgres') return false;
  if (ctx.env.DATABASE_URL?.trim()) return true;
  return (await embeddedStatus(ctx.stateDir).catch(() => null))?.running ?? false;
}

async function collect(ctx: Context, backend: Backend): Promise<string[]> {
  const report = await backend.gc();
  for (const e of report.errors) ctx.log(`crash recovery: could not clean up ${e}`);
  return report.removed.map((r) => `removed ${r}`);
}

/** Clean up after dead processes; returns one line per thing removed. Never throws. */
export async function recoverAfterCrashes(ctx: Context): Promise<string[]> {
  const done: string[] = [];
  try {
    done.push(...(await reapOrphanedChildren(ctx.stateDir)).map((s) => `stopped ${s}`));
    const data = await ctx.registry.read();
    const known = leftoversOf(data, ctx.backendKind, ctx.engine).length > 0;
    // A database a dead process made but never recorded (its CREATE finished after the process was
    // gone) is found only on the server: sweep whenever the server is up anyway, never start one for it.
    if (known || (await localServerUp(ctx))) {
      try {
        done.push(...(await collect(ctx, await ctx.backend())));
      } catch (err) {
        if (known) throw err;
      }
    }
    // Another engine's leftovers (a MySQL run killed, then a PostgreSQL command) by its own backend.
    for (const engine of ENGINE_NAMES) {
      if (engine === ctx.engine || leftoversOf(data, ctx.backendKind, engine).length === 0) continue;
      done.push(...(await withEngine(ctx, engine, async (c) => collect(c, await c.backend()))));
    }
  } catch (err) {
    ctx.log(`crash recovery skipped: ${(err as Error).message}`);
  }
  if (done.length > 0) ctx.log(`cleaned up after an exited vers-db process: ${done.join('; ')}`);
  return done;
}
