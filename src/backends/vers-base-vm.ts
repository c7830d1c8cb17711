/**
 * The project's Vers base VM, whatever engine it serves: the recorded one while it runs (and
 * serves the engine asked for), else a new one from `vers run`; and the options and result of
 * provisioning it (PostgreSQL: vers-provision.ts; MariaDB: vers-provision-mysql.ts).
 */
import type { EngineName } from '../engines/engine.js';
import { InvalidInputError } from '../errors.js';
import { type VersClient, VersNotFoundError } from '../vers/index.js';
import type { BackendDeps } from './deps.js';
import { VERS_SETTINGS, type VersProvisioner } from './vers.js';
import { versEngine } from './vers-engines.js';
import { baseVmEngine, recordBaseVmEngine } from './vers-settings.js';

type Settings = { settings: Record<string, string> };

export interface ProvisionOptions {
  /** The engine the VM serves (default: the context's): 'mysql' is MariaDB (vers-provision-mysql.ts). */
  engine?: EngineName;
  /** `postgres@N` as in a suite's services.postgres.template; default postgres@16. */
  template?: string;
  /** Databases to create; the first is the one checkpoints and branches work on (default `postgres`). */
  databases?: string[];
  extensions?: string[];
  /** postgresql.conf settings, applied with ALTER SYSTEM. */
  settings?: Record<string, string | number | boolean>;
  memSizeMib?: number;
  vcpuCount?: number;
  fsSizeMib?: number;
  /** Make a new VM even if one is set up (the old one is deleted once the new one works). */
  fresh?: boolean;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

export interface ProvisionResult {
  vm: string;
  /** A URL to show, password redacted, valid while `vers tunnel <vm> 15432:5432` runs. */
  databaseUrlHint: string;
  /** What to do next, one line each, for the CLI to print. */
  instructions: string[];
  created: boolean;
  installed: boolean;
  serverVersion: string;
  /** Settings written with ALTER SYSTEM that only take effect after a restart. */
  pendingRestart: string[];
}

export async function usableBase(
  client: VersClient,
  vm: string | undefined,
  signal?: AbortSignal,
): Promise<boolean> {
  if (!vm) return false;
  try {
    const s = await client.vmStatus(vm, { signal });
    return s.state.toLowerCase() === 'running';
  } catch (err) {
    if (err instanceof VersNotFoundError) return false;
    throw err;
  }
}

/**
 * The base VM: the recorded one if it runs (and serves `engine`), else a new one from `vers run`.
 * `record` adds the engine's settings to the registry with it; a replaced VM is deleted.
 */
export async function ensureBaseVm(
  ctx: BackendDeps,
  vers: VersProvisioner,
  options: ProvisionOptions,
  engine: EngineName,
  record: (d: Settings) => void,
): Promise<{ vm: string; created: boolean }> {
  const { client } = vers;
  const settings = (await ctx.registry.read()).settings;
  const previous = settings[VERS_SETTINGS.baseVm];
  const previousEngine = baseVmEngine(settings);
  let vm = previous;
  let created = false;
  const usable = !options.fresh && (await usableBase(client, vm, options.signal));
  if (usable && previousEngine !== engine) {
    const label = (e: EngineName) => versEngine(e).server;
    throw new InvalidInputError(
      `this project's Vers base VM ${previous} serves ${label(previousEngine)}, not ${label(engine)}`,
      { hint: `add --fresh to replace it with a new ${label(engine)} VM (its checkpoints stay usable)` },
    );
  }
  if (!usable) {
    (options.onProgress ?? ctx.log)('starting a Vers VM (vers run --wait)…');
    vm = await vers.runRootVm(() =>
      client.run({
        signal: options.signal,
        memSizeMib: options.memSizeMib,
        vcpuCount: options.vcpuCount,
        fsSizeMib: options.fsSizeMib,
      }),
    );
    created = true;
  }
  const baseVm = vm!;
  await ctx.registry.update((d) => {
    d.settings[VERS_SETTINGS.baseVm] = baseVm;
    recordBaseVmEngine(d.settings, engine);
    record(d);
  });
  if (created && previous && previous !== baseVm) {
    await client
      .delete([previous])
      .catch((err: Error) => ctx.log(`could not delete the old base VM ${previous}: ${err.message}`));
    await vers.forgetVm(previous);
  }
  return { vm: baseVm, created };
}
