/**
 * The vers backend: the managed layer over the vers storage driver (vers-driver.ts), plus what
 * only a VM has: a tunnel to any VM the project owns and files put into it.
 */
import type { EngineName } from '../engines/engine.js';
import { BackendError } from '../errors.js';
import { VersClient } from '../vers/index.js';
import type { BranchConnection } from './backend.js';
import type { BackendDeps } from './deps.js';
import { ManagedBackend } from './managed.js';
import { VERS_SETTINGS, VersDriver } from './vers-driver.js';
import { versEngine } from './vers-engines.js';

export { VERS_CAPABILITIES, VERS_SETTINGS } from './vers-driver.js';
export { pgEnvScript, VM_PG_PORT } from './vers-postgres.js';

export class VersBackend extends ManagedBackend<VersDriver> {
  get client(): VersClient {
    return this.driver.client;
  }

  /**
   * A tunnel to a VM's database server as its own user (postgres, or versdb on MariaDB) with the
   * project's password unless given; the engine is the base VM's unless given.
   */
  async connectVm(
    vm: string,
    database: string,
    options: { signal?: AbortSignal; password?: string; engine?: EngineName } = {},
  ): Promise<BranchConnection> {
    const base = await this.driver.base();
    const engine = options.engine ?? base.engine;
    const password =
      options.password ??
      (engine === base.engine
        ? base.password
        : (await this.deps.registry.read()).settings[versEngine(engine).passwordSetting]);
    if (!password) throw new BackendError(`no ${engine} password is recorded for this project's Vers VMs`);
    return this.driver.session.connect(vm, database, password, { signal: options.signal, engine });
  }

  /** Put a file into a VM (`exec -i … cat > path`). */
  upload(vm: string, remotePath: string, content: string | Buffer, options: { signal?: AbortSignal } = {}) {
    return this.driver.session.upload(vm, remotePath, content, options);
  }
}

export function createVersClient(deps: BackendDeps, secrets: string[] = []): VersClient {
  return new VersClient({
    env: deps.env,
    cwd: deps.cwd,
    log: (m) => deps.log(m),
    debug: Boolean(deps.env.VERS_DB_DEBUG),
    secrets,
  });
}

/** A vers client that already knows the project's secrets and has checked the vers CLI (v0.9.0+). */
export async function openVersClient(deps: BackendDeps): Promise<VersClient> {
  const settings = (await deps.registry.read()).settings;
  const secrets = [
    settings[VERS_SETTINGS.password],
    settings[VERS_SETTINGS.readerPassword],
    settings[VERS_SETTINGS.mysqlPassword],
  ];
  const client = createVersClient(
    deps,
    secrets.filter((s): s is string => Boolean(s)),
  );
  await client.ensureSupported();
  return client;
}

/** The backend for `--backend vers`: checks the vers CLI before anything else. */
export async function createVersBackend(deps: BackendDeps): Promise<VersBackend> {
  return new VersBackend(deps, new VersDriver(deps, await openVersClient(deps)));
}

/** What provisioning the base VM (vers-provision.ts) needs of the backend, and nothing more. */
export interface VersProvisioner {
  readonly client: VersClient;
  /** `run` makes a root VM (`vers run`), recorded before it is asked for; returns its id. */
  runRootVm(run: () => Promise<{ vmId: string }>): Promise<string>;
  /** Forget the registry's record of a VM deleted by other means. */
  forgetVm(id: string): Promise<void>;
  connect(
    vm: string,
    database: string,
    password: string,
    signal?: AbortSignal,
    engine?: EngineName,
  ): Promise<BranchConnection>;
  close(): Promise<void>;
}

export async function openVersProvisioner(deps: BackendDeps): Promise<VersProvisioner> {
  const driver = new VersDriver(deps, await openVersClient(deps));
  return {
    client: driver.client,
    runRootVm: async (run) =>
      (await driver.vms.record('base', ['base'], null, async () => [(await run()).vmId]))[0]!,
    forgetVm: (id) => driver.vms.forget([id]),
    connect: (vm, database, password, signal, engine) =>
      driver.session.connect(vm, database, password, { signal, engine }),
    close: () => driver.close(),
  };
}
