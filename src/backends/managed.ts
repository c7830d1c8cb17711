/**
 * The Backend contract, implemented once over a storage driver (driver.ts). This layer owns the
 * registry's checkpoint and branch records and their state machine: every checkpoint and branch
 * is reserved ('creating', with the creating process) before the driver makes it, marked
 * 'ready' once made, and undone when making it fails; destroy marks 'deleting' first. It also
 * owns the rules gc applies to those records and every "not found / taken / still has branches"
 * message, so the backends cannot drift apart.
 */
import { type EngineName, engineOf } from '../engines/engine.js';
import { InvalidInputError, throwIfAborted } from '../errors.js';
import { validateName } from '../state/names.js';
import type { BranchEntry, CheckpointEntry } from '../state/registry.js';
import type { ClientConfig } from '../util/pg.js';
import type {
  Backend,
  BackendCapabilities,
  BackendKind,
  BranchConnection,
  BranchInfo,
  BranchOptions,
  BranchRole,
  CheckpointInfo,
  ExecOptions,
  ExecResult,
  GcReport,
  RollbackResult,
  SourceDatabase,
} from './backend.js';
import type { BackendDeps } from './deps.js';
import type { StorageDriver } from './driver.js';
import {
  branchNotReady,
  branchTaken,
  checkpointTaken,
  engineMismatch,
  stillHasBranches,
  unknownBranch,
  unknownCheckpoint,
} from './messages.js';
import { isOrphan } from './orphans.js';
import { commentOnDatabase, databaseExists, dropDatabase, ensureDatabase } from './pg-admin.js';

const toInfo = (b: BranchEntry): BranchInfo => ({
  name: b.name,
  backend: b.backend,
  checkpoint: b.checkpoint,
  id: b.id,
  database: b.database,
  createdAt: b.createdAt,
  durationMs: b.durationMs,
  strategy: b.strategy,
});

export class ManagedBackend<D extends StorageDriver = StorageDriver> implements Backend {
  readonly verifyCheckpoint?: (tag: string) => Promise<string[]>;

  constructor(
    protected readonly deps: BackendDeps,
    protected readonly driver: D,
  ) {
    const verify = driver.verifyCheckpoint?.bind(driver);
    if (verify) {
      this.verifyCheckpoint = async (tag) => {
        const ckpt = await this.deps.registry.checkpoint(tag);
        if (ckpt?.backend !== this.kind) return [`checkpoint ${tag} is no longer in the registry`];
        const problems = await verify(ckpt);
        // A changed checkpoint is no longer offered as a baseline.
        if (problems.length > 0)
          await this.registry.update((d) => {
            const c = d.checkpoints[tag];
            if (c) c.damaged = problems.join('; ');
          });
        return problems;
      };
    }
  }

  get kind(): BackendKind {
    return this.driver.kind;
  }

  /**
   * The one engine the driver stores (local: each engine has its own driver), or undefined when
   * it is decided per record (vers: the base VM's engine, which the driver records as `extra`).
   */
  get engine(): EngineName | undefined {
    return this.driver.engine;
  }

  /** The engine a new checkpoint is recorded with, unless the driver's fields (`extra`) say otherwise. */
  private get recordedEngine(): EngineName {
    return this.driver.engine ?? 'postgres';
  }

  /** Records of this backend (and of its engine, when it has one): gc leaves the other engine's alone. */
  private mine(e: { backend: BackendKind; engine?: EngineName }): boolean {
    return e.backend === this.kind && (this.engine === undefined || engineOf(e) === this.engine);
  }

  /** A record of this backend made on the other engine is a clear error naming both. */
  private assertEngine(what: 'checkpoint' | 'branch', name: string, e: { engine?: EngineName }): void {
    const mine = this.engine;
    if (mine !== undefined && engineOf(e) !== mine) throw engineMismatch(what, name, engineOf(e), mine);
  }

  get capabilities(): BackendCapabilities {
    return this.driver.capabilities;
  }

  private get registry() {
    return this.deps.registry;
  }

  // ---- checkpoints ----

  async checkpoint(
    tag: string,
    options: { database?: string; signal?: AbortSignal; createdBy?: string } = {},
  ): Promise<CheckpointInfo> {
    validateName('checkpoint tag', tag);
    if (await this.registry.checkpoint(tag)) throw checkpointTaken(tag); // before any work; checked again below
    const plan = await this.driver.planCheckpoint(tag, options.database);
    const info: CheckpointInfo = {
      tag,
      backend: this.kind,
      id: plan.id,
      source: plan.source,
      database: plan.database,
      createdAt: new Date().toISOString(),
      strategy: plan.strategy,
      durationMs: 0,
    };
    // Recorded before anything exists, so a crash leaves something gc can find.
    await this.registry.update((d) => {
      if (d.checkpoints[tag]) throw checkpointTaken(tag);
      d.checkpoints[tag] = {
        ...info,
        engine: this.recordedEngine,
        ...plan.extra,
        state: 'creating',
        createdBy: options.createdBy,
        pid: process.pid,
      };
    });
    try {
      const made = await this.driver.createCheckpoint(tag, plan, {
        signal: options.signal,
        recordId: (id) =>
          this.registry.update((d) => {
            const e = d.checkpoints[tag];
            if (e) e.id = id;
          }),
      });
      const done: CheckpointInfo = { ...info, id: made.id, durationMs: Math.round(made.durationMs) };
      await this.registry.update((d) => {
        d.checkpoints[tag] = {
          ...done,
          engine: this.recordedEngine,
          ...plan.extra,
          ...made.extra,
          state: 'ready',
          createdBy: options.createdBy,
        };
      });
      return done;
    } catch (err) {
      await this.undoCheckpoint(tag);
      throw err;
    }
  }

  /** Remove what a failed checkpoint made and forget it; on failure leave it for gc. */
  private async undoCheckpoint(tag: string): Promise<void> {
    const entry = await this.registry.checkpoint(tag);
    if (!entry) return;
    try {
      await this.driver.removeCheckpoint(entry);
      await this.forgetCheckpoint(tag);
    } catch (cleanup) {
      this.deps.log(
        `could not clean up checkpoint ${tag} (${(cleanup as Error).message}); \`vers-db gc\` will retry`,
      );
    }
  }

  private async forgetCheckpoint(tag: string): Promise<void> {
    await this.registry.update((d) => {
      delete d.checkpoints[tag];
    });
  }

  /** A ready checkpoint of this backend, or the one "no checkpoint named …" error. */
  private async readyCheckpoint(tag: string): Promise<CheckpointEntry> {
    const c = await this.registry.checkpoint(tag);
    if (c?.backend !== this.kind || c.state !== 'ready')
      throw await unknownCheckpoint(this.registry, this.kind, tag);
    this.assertEngine('checkpoint', tag, c);
    return c;
  }

  async deleteCheckpoint(tag: string, options: { force?: boolean } = {}): Promise<void> {
    const ckpt = await this.registry.checkpoint(tag);
    if (ckpt?.backend !== this.kind) throw await unknownCheckpoint(this.registry, this.kind, tag);
    this.assertEngine('checkpoint', tag, ckpt);
    const children = (await this.registry.listBranches(this.kind)).filter((b) => b.checkpoint === tag);
    if (children.length > 0 && !options.force) throw stillHasBranches(tag, children);
    await this.destroyAll(children.map((b) => b.name));
    await this.registry.update((d) => {
      const e = d.checkpoints[tag];
      if (e) e.state = 'deleting';
    });
    await this.driver.removeCheckpoint(ckpt);
    await this.forgetCheckpoint(tag);
  }

  // ---- branches ----

  async branch(
    checkpoint: string,
    names: readonly string[],
    options: BranchOptions = {},
  ): Promise<BranchInfo[]> {
    for (const n of names) validateName('branch name', n);
    if (new Set(names).size !== names.length) throw new InvalidInputError('branch names must be unique');
    const ckpt = await this.readyCheckpoint(checkpoint);
    if (names.length === 0) return [];
    const data = await this.registry.read();
    const taken = names.find((n) => data.branches[n]);
    if (taken) throw branchTaken(taken); // before any work; reserveBranches checks again, atomically
    throwIfAborted(options.signal);
    const plans = await this.driver.planBranches(ckpt, names);
    const createdAt = new Date().toISOString();
    const planned: BranchEntry[] = names.map((name, i) => ({
      name,
      backend: this.kind,
      engine: engineOf(ckpt), // a branch is of its checkpoint's engine
      checkpoint,
      ...plans[i]!,
      createdAt,
      durationMs: 0,
      state: 'creating',
      createdBy: options.createdBy ?? 'vers-db',
      pid: process.pid,
      keep: options.keep ?? false,
    }));
    await this.registry.reserveBranches(planned);
    const made = new Map<string, BranchInfo>();
    try {
      await this.driver.createBranches(ckpt, planned, {
        signal: options.signal,
        ready: async (name, id, durationMs) => {
          const ms = Math.round(durationMs);
          await this.registry.update((d) => {
            const e = d.branches[name];
            if (e) Object.assign(e, { id, state: 'ready', durationMs: ms });
          });
          const b = planned.find((p) => p.name === name)!;
          made.set(name, toInfo({ ...b, id, durationMs: ms }));
        },
      });
      return names.map((n) => made.get(n)!);
    } catch (err) {
      // Undo all of them; what cannot be removed now stays recorded for gc.
      for (const b of planned) await this.destroy(b.name).catch(() => undefined);
      throw err;
    }
  }

  /** A ready branch of this backend: unknown and not-ready branches fail the same way on every backend. */
  private async readyBranch(name: string): Promise<BranchEntry> {
    const b = await this.registry.branch(name);
    if (b?.backend !== this.kind) throw unknownBranch(name);
    this.assertEngine('branch', name, b);
    if (b.state !== 'ready' || !b.id) throw branchNotReady(b);
    return b;
  }

  async connect(branch: string, options: { as?: BranchRole } = {}): Promise<BranchConnection> {
    return this.driver.connect(await this.readyBranch(branch), options.as ?? 'owner');
  }

  async exec(branch: string, command: string, options: ExecOptions = {}): Promise<ExecResult> {
    return this.driver.exec(await this.readyBranch(branch), command, options);
  }

  async execSource(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    return this.driver.execSource(command, options);
  }

  async connectSource(): Promise<BranchConnection> {
    return this.driver.connectSource();
  }

  sourceDatabase(name: string): SourceDatabase {
    if (this.driver.sourceDatabase) return this.driver.sourceDatabase(name);
    const admin = <T>(fn: (a: ClientConfig) => Promise<T>) => this.driver.withAdmin(fn);
    const label = async (comment?: string) => {
      if (comment !== undefined) await admin((a) => commentOnDatabase(a, name, comment));
    };
    return {
      name,
      exists: () => admin((a) => databaseExists(a, name)),
      ensure: async (o = {}) => {
        await admin((a) => ensureDatabase(a, name));
        await label(o.comment);
      },
      reset: async (o = {}) => {
        await admin(async (a) => {
          await dropDatabase(a, name);
          await ensureDatabase(a, name);
        });
        await label(o.comment);
      },
      drop: () => admin((a) => dropDatabase(a, name)),
    };
  }

  async rollback(tag: string, options: { signal?: AbortSignal } = {}): Promise<RollbackResult> {
    return this.driver.rollback(await this.readyCheckpoint(tag), options);
  }

  async destroy(branch: string): Promise<void> {
    const b = await this.registry.branch(branch);
    if (b?.backend !== this.kind) return;
    this.assertEngine('branch', branch, b);
    await this.registry.update((d) => {
      const e = d.branches[branch];
      if (e) e.state = 'deleting';
    });
    await this.driver.removeBranch(b);
    await this.registry.update((d) => {
      delete d.branches[branch];
    });
  }

  /** Several at once where branches are independent machines, else one after another. */
  private async destroyAll(names: readonly string[]): Promise<void> {
    if (this.capabilities.batchBranching) await Promise.all(names.map((n) => this.destroy(n)));
    else for (const n of names) await this.destroy(n);
  }

  // ---- gc ----

  async gc(): Promise<GcReport> {
    const report: GcReport = { removed: [], kept: [], errors: [] };
    const data = await this.registry.read();
    for (const b of Object.values(data.branches).filter((x) => this.mine(x))) {
      if (!isOrphan(b)) {
        report.kept.push(`branch ${b.name}`);
        continue;
      }
      try {
        await this.destroy(b.name);
        report.removed.push(`branch ${b.name}${b.id ? ` (${b.id})` : ''}`);
      } catch (err) {
        report.errors.push(`branch ${b.name}: ${(err as Error).message}`);
      }
    }
    for (const c of Object.values(data.checkpoints).filter((x) => this.mine(x))) {
      if (c.state === 'ready') report.kept.push(`checkpoint ${c.tag}`);
      else if (!isOrphan(c)) report.kept.push(`checkpoint ${c.tag} (being created by process ${c.pid})`);
      else {
        try {
          await this.driver.removeCheckpoint(c);
          await this.forgetCheckpoint(c.tag);
          report.removed.push(`unfinished checkpoint ${c.tag}${c.id ? ` (${c.id})` : ''}`);
        } catch (err) {
          report.errors.push(`checkpoint ${c.tag}: ${(err as Error).message}`);
        }
      }
    }
    // What the driver made that the registry (read again: others may have reserved meanwhile) does not hold.
    await this.driver.sweep(report);
    return report;
  }

  async close(): Promise<void> {
    await this.driver.close();
  }
}
