/**
 * The vers storage driver: the source is a base VM with PostgreSQL or MariaDB (vers-provision.ts,
 * vers-provision-mysql.ts), a checkpoint is a vers commit plus a tag, a branch is a VM made from
 * that commit (all of one call side by side), and a branch's server is reached through `vers
 * tunnel`. The driver's engine is the context's (--engine); the base VM serves one engine, and a
 * context of the other is told so before anything is done.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pLimit, { type LimitFunction } from 'p-limit';
import type { EngineName } from '../engines/engine.js';
import { DEFAULT_ENGINE } from '../engines/index.js';
import { BackendError, ConflictError, InvalidInputError } from '../errors.js';
import type { BranchEntry, CheckpointEntry, RegistryData } from '../state/registry.js';
import type { ClientConfig } from '../util/pg.js';
import { type VersClient, VersConflictError } from '../vers/index.js';
import type * as B from './backend.js';
import type { BackendDeps } from './deps.js';
import type {
  BranchPlan,
  CheckpointPlan,
  CreateBranchesOptions,
  CreateCheckpointOptions,
  StorageDriver,
} from './driver.js';
import { adminConfigFor } from './pg-admin.js';
import { type VersEngine, versEngine } from './vers-engines.js';
import { VersSession } from './vers-session.js';
import { baseVmEngine, VERS_SETTINGS } from './vers-settings.js';
import { VersVms } from './vers-vms.js';

export { VERS_SETTINGS } from './vers-settings.js';

export const VERS_CAPABILITIES: B.BackendCapabilities = {
  batchBranching: true,
  defaultParallel: 'all',
  isolation: 'vm',
  appliesServerSettings: true,
};

const BRANCH_TIMEOUT_MS = 300_000;

export class VersDriver implements StorageDriver {
  readonly kind = 'vers' as const;
  readonly capabilities = VERS_CAPABILITIES;
  /** Fan-out limit for vers processes (tunnels excluded: they live as long as a connection). */
  readonly v: LimitFunction;
  readonly vms: VersVms;
  readonly session: VersSession;

  /** The context's engine; the base VM must serve it (base()). */
  readonly engine: EngineName;
  private readonly server: VersEngine;
  /** Only where the engine makes them itself (MySQL): else the managed layer's (withAdmin). */
  readonly sourceDatabase?: (name: string) => B.SourceDatabase;

  constructor(
    private readonly deps: BackendDeps,
    readonly client: VersClient,
  ) {
    this.engine = deps.engine ?? DEFAULT_ENGINE;
    this.server = versEngine(this.engine);
    if (this.server.sourceDatabase) this.sourceDatabase = (name) => this.engineSourceDatabase(name);
    const n = Number(deps.env.VERS_DB_VERS_CONCURRENCY ?? 8);
    this.v = pLimit(Number.isInteger(n) && n > 0 ? n : 8);
    this.vms = new VersVms(deps, client, this.v);
    this.session = new VersSession(deps, client, this.v);
  }

  private async settings(): Promise<RegistryData['settings']> {
    return (await this.deps.registry.read()).settings;
  }

  /** The base VM, which must serve this driver's engine. */
  async base(): Promise<{ vm: string; database: string; password: string; engine: EngineName }> {
    const s = await this.settings();
    const vm = s[VERS_SETTINGS.baseVm];
    const engine = baseVmEngine(s);
    const password = s[versEngine(engine).passwordSetting];
    const wanted = this.server;
    if (!vm || !password) {
      throw new InvalidInputError('no Vers base VM is set up for this project', {
        hint: `run \`vers-db up --backend vers${upEngineFlag(wanted.name)}\` to create a VM with ${wanted.server}, load your data into it, then checkpoint`,
      });
    }
    if (engine !== this.engine) {
      throw new InvalidInputError(
        `this project's Vers base VM ${vm} serves ${versEngine(engine).server}, but this command runs on ${wanted.server}`,
        {
          hint: `run it with --engine ${engine} (or VERS_DB_ENGINE=${engine}), or make a ${wanted.server} base VM with \`vers-db up --backend vers --engine ${this.engine} --fresh\``,
        },
      );
    }
    return { vm, password, engine, database: s[VERS_SETTINGS.database] ?? 'postgres' };
  }

  /**
   * The password of the engine's own user in VMs made from commits (they have the base VM's),
   * kept even when the base VM was replaced by one of the other engine.
   */
  private async passwordFor(engine: EngineName): Promise<string> {
    const server = versEngine(engine);
    const password = (await this.settings())[server.passwordSetting];
    if (!password) {
      throw new BackendError(`this project has no ${server.server} password recorded`, {
        hint: `run \`vers-db up --backend vers${upEngineFlag(engine)}\` again`,
      });
    }
    return password;
  }

  /** The database must exist in the base VM; the read-only user is made there before the commit. */
  async planCheckpoint(_tag: string, database: string | undefined): Promise<CheckpointPlan> {
    const base = await this.base();
    const db = database || base.database;
    const reader = await this.readerPassword();
    const conn = await this.session.connect(base.vm, base.database, base.password, { engine: base.engine });
    try {
      await versEngine(base.engine).prepareCommit(conn, db, reader, base.vm);
    } finally {
      await conn.close();
    }
    return { id: '', source: base.vm, database: db, strategy: 'vers commit', extra: { vm: base.vm } };
  }

  async createCheckpoint(tag: string, plan: CheckpointPlan, o: CreateCheckpointOptions) {
    const base = await this.base();
    const start = performance.now();
    const { commitId } = await this.v(() => this.client.commitCreate(base.vm, { signal: o.signal }));
    await o.recordId(commitId);
    await this.v(() =>
      this.client.tagCreate(tag, commitId, { signal: o.signal, description: 'vers-db checkpoint' }),
    ).catch((err: unknown) => {
      if (!(err instanceof VersConflictError)) throw err;
      throw new ConflictError(
        `a vers tag named ${JSON.stringify(tag)} already exists in your Vers organisation`,
        {
          hint: `pick another tag, or remove the old one with \`vers tag delete ${tag}\``,
        },
      );
    });
    // Docs say a commit may leave the VM paused; the source must stay usable.
    const status = await this.v(() => this.client.vmStatus(plan.source, { signal: o.signal }));
    if (status.state.toLowerCase() === 'paused')
      await this.v(() => this.client.resume(plan.source, { signal: o.signal }));
    return { id: commitId, durationMs: performance.now() - start };
  }

  /** The read-only role's password, made once per project (every VM of it has the role). */
  private async readerPassword(): Promise<string> {
    let password = (await this.settings())[VERS_SETTINGS.readerPassword];
    if (!password) {
      const made = randomBytes(16).toString('hex');
      password = await this.deps.registry.update((d) => {
        d.settings[VERS_SETTINGS.readerPassword] ??= made;
        return d.settings[VERS_SETTINGS.readerPassword]!;
      });
    }
    this.client.addSecret(password);
    return password;
  }

  /** The working VM of its last rollback, its tag (only if it still names our commit), and the commit. */
  async removeCheckpoint(entry: CheckpointEntry): Promise<void> {
    const setting = VERS_SETTINGS.workingPrefix + entry.tag;
    const working = (await this.settings())[setting];
    if (working) await this.vms.remove([working]);
    const commitId = entry.id;
    if (commitId) {
      const t = await this.v(() => this.client.tagGet(entry.tag, { timeoutMs: 30_000 })).catch(() => null);
      if (t?.commit_id === commitId)
        await this.v(() => this.client.tagDelete(entry.tag, { timeoutMs: 30_000 }));
      // A commit with VMs made from it cannot be deleted; it then stays as harmless storage.
      await this.v(() => this.client.commitDelete(commitId, { timeoutMs: 60_000 })).catch((err: Error) =>
        this.deps.log(`kept vers commit ${commitId}: ${err.message}`),
      );
    }
    await this.deps.registry.update((d) => {
      delete d.settings[setting];
    });
  }

  async planBranches(ckpt: CheckpointEntry, names: readonly string[]): Promise<BranchPlan[]> {
    return names.map(() => ({ id: '', database: ckpt.database, strategy: 'vers branch' }));
  }

  /** One vers call for all of them: the API boots them side by side. */
  async createBranches(ckpt: CheckpointEntry, planned: readonly BranchEntry[], o: CreateBranchesOptions) {
    const names = planned.map((b) => b.name);
    const start = performance.now();
    const ids = await this.vms.record('branch', names, ckpt.id, async () => {
      const r = await this.v(() =>
        this.client.branch(ckpt.id, names.length, { signal: o.signal, timeoutMs: BRANCH_TIMEOUT_MS }),
      );
      return r.newIds;
    });
    const durationMs = performance.now() - start;
    for (const [i, name] of names.entries()) await o.ready(name, ids[i]!, durationMs);
  }

  async removeBranch(b: BranchEntry): Promise<void> {
    if (b.id) await this.vms.remove([b.id]);
  }

  async connect(b: BranchEntry, as: B.BranchRole): Promise<B.BranchConnection> {
    const engine = this.engine;
    if (as !== 'reader')
      return this.session.connect(b.id, b.database, await this.passwordFor(engine), { engine });
    const reader = (await this.settings())[VERS_SETTINGS.readerPassword];
    if (!reader) {
      throw new BackendError(`branch ${b.name} has no read-only role`, {
        hint: 'its checkpoint was made by an older vers-db: make a new checkpoint and branch it again',
      });
    }
    return this.session.connect(b.id, b.database, reader, { user: this.server.readerUser, engine });
  }

  async exec(b: BranchEntry, command: string, options: B.ExecOptions): Promise<B.ExecResult> {
    const engine = this.engine;
    const password = await this.passwordFor(engine);
    return this.session.exec(b.id, b.database, password, command, { ...options, engine });
  }

  async connectSource(): Promise<B.BranchConnection> {
    const base = await this.base();
    return this.session.connect(base.vm, base.database, base.password, { engine: base.engine });
  }

  async execSource(command: string, options: B.ExecOptions): Promise<B.ExecResult> {
    const base = await this.base();
    return this.session.exec(base.vm, base.database, base.password, command, {
      ...options,
      engine: base.engine,
    });
  }

  /** Databases beside the source, made by the engine through the base VM's server (a tunnel per call). */
  private engineSourceDatabase(name: string): B.SourceDatabase {
    const make = this.server.sourceDatabase!;
    const run = async <T>(fn: (db: B.SourceDatabase) => Promise<T>): Promise<T> => {
      const conn = await this.connectSource();
      try {
        return await fn(make(conn, name));
      } finally {
        await conn.close();
      }
    };
    return {
      name,
      exists: () => run((db) => db.exists()),
      ensure: (o) => run((db) => db.ensure(o)),
      reset: (o) => run((db) => db.reset(o)),
      drop: () => run((db) => db.drop()),
    };
  }

  async withAdmin<T>(fn: (admin: ClientConfig) => Promise<T>): Promise<T> {
    if (this.sourceDatabase) {
      throw new BackendError(
        `this is a bug in vers-db: ${this.server.server} source databases go through sourceDatabase()`,
      );
    }
    const conn = await this.connectSource();
    try {
      return await fn(adminConfigFor(conn.config));
    } finally {
      await conn.close();
    }
  }

  /** A new VM from the commit; the one the previous rollback made is deleted. */
  async rollback(ckpt: CheckpointEntry, o: { signal?: AbortSignal }): Promise<B.RollbackResult> {
    const [vmId] = await this.vms.record('working', [ckpt.tag], ckpt.id, async () => [
      (await this.v(() => this.client.runCommit(ckpt.id, { signal: o.signal }))).vmId,
    ]);
    const setting = VERS_SETTINGS.workingPrefix + ckpt.tag;
    const previous = (await this.settings())[setting] ?? null;
    await this.deps.registry.update((d) => {
      d.settings[setting] = vmId!;
    });
    if (previous) await this.vms.remove([previous]);
    return { tag: ckpt.tag, target: vmId!, removed: previous };
  }

  /** VMs the registry holds that nothing needs: unfinished creations and branch VMs whose branch is gone. */
  async sweep(report: B.GcReport): Promise<void> {
    const data = await this.deps.registry.read();
    const needed = new Set<string>(
      [
        data.settings[VERS_SETTINGS.baseVm],
        ...Object.entries(data.settings)
          .filter(([k]) => k.startsWith(VERS_SETTINGS.workingPrefix))
          .map(([, v]) => v),
        ...Object.values(data.branches).map((b) => b.id),
      ].filter((x): x is string => Boolean(x)),
    );
    await this.vms.sweep(report, needed);
  }

  async close(): Promise<void> {
    await this.session.close();
  }
}

/** The `--engine` flag `vers-db up` needs for an engine (none for the default). */
const upEngineFlag = (engine: EngineName): string => (engine === DEFAULT_ENGINE ? '' : ` --engine ${engine}`);
