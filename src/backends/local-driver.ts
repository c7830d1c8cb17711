/**
 * The local storage driver: checkpoints and branches are template-database copies on one
 * PostgreSQL server (the one in DATABASE_URL, or the embedded default). Branches are sandboxed
 * with roles of their own when the server user may make roles (local-sandbox.ts).
 */
import { CancelledError } from '../errors.js';
import {
  branchDatabaseName,
  branchOwnerRole,
  branchReaderRole,
  checkpointDatabaseName,
  checkpointOwnerRole,
  instancePrefix,
  workingDatabaseName,
} from '../state/names.js';
import type { BranchEntry, CheckpointEntry } from '../state/registry.js';
import { type ClientConfig, displayUrl, quoteIdent, urlOf, withClient, withDatabase } from '../util/pg.js';
import { addSecret } from '../util/secrets.js';
import type * as B from './backend.js';
import { type BackendDeps, stateDirOf } from './deps.js';
import type { BranchPlan, CheckpointPlan, CreateBranchesOptions, StorageDriver } from './driver.js';
import {
  type CloneEnvironment,
  type CloneStrategy,
  chooseCloneStrategy,
  parseCloneStrategy,
  strategyClause,
  supportsReflinks,
} from './local-clone.js';
import { dropOwnDatabase, dropOwnRoles, sweepUnregistered } from './local-own.js';
import {
  createRole,
  grantReader,
  isSuperuser,
  newRolePassword,
  sealBranch,
  sealCheckpoint,
} from './local-sandbox.js';
import { verifyTemplate } from './local-verify.js';
import { unknownSourceDatabase } from './messages.js';
import { adminConfigFor, cloneDatabase, databaseExists, databaseSize } from './pg-admin.js';
import { runShellStep } from './shell-step.js';

const SEAL_TEMPLATE_SQL = (db: string) =>
  `ALTER DATABASE ${quoteIdent(db)} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`;
const REASSIGN_TO_SERVER_USER_SQL = (role: string) => `REASSIGN OWNED BY ${quoteIdent(role)} TO CURRENT_USER`;

export const LOCAL_CAPABILITIES: B.BackendCapabilities = {
  batchBranching: false,
  defaultParallel: 1,
  isolation: 'roles',
  appliesServerSettings: false,
};

export class LocalDriver implements StorageDriver {
  readonly kind = 'local' as const;
  readonly engine = 'postgres' as const;
  readonly capabilities = LOCAL_CAPABILITIES;
  private cloneEnv: Promise<CloneEnvironment> | undefined;
  private sandbox: Promise<boolean> | undefined;

  constructor(
    private readonly deps: BackendDeps,
    /** Connection to the source database (the one that is checkpointed). */
    private readonly source: ClientConfig,
    /** Where the embedded server keeps its data, when it is ours (for the reflink probe). */
    private readonly dataDir: string | null,
    private readonly serverVersionNum: number,
  ) {}

  private get admin(): ClientConfig {
    return adminConfigFor(this.source);
  }

  private instance(): Promise<string> {
    return this.deps.registry.instance();
  }

  /**
   * Branches are sandboxed (own roles) when the server user can make roles, i.e. is a superuser;
   * a server user that is no superuser is already the limit. VERS_DB_SANDBOX=off turns it off.
   */
  private sandboxed(): Promise<boolean> {
    this.sandbox ??= (async () => {
      if (/^(off|0|false|no)$/i.test(this.deps.env.VERS_DB_SANDBOX?.trim() ?? '')) return false;
      return isSuperuser(this.admin);
    })();
    return this.sandbox;
  }

  private environment(): Promise<CloneEnvironment> {
    this.cloneEnv ??= (async () => {
      const reflinks = this.dataDir ? await supportsReflinks(this.dataDir) : null;
      return { serverVersionNum: this.serverVersionNum, reflinks };
    })();
    return this.cloneEnv;
  }

  private async copy(
    target: string,
    template: string,
    strategy: CloneStrategy,
    owned: boolean,
    signal?: AbortSignal,
  ): Promise<number> {
    const { clause, setup } = strategyClause(strategy, (await this.environment()).serverVersionNum);
    return cloneDatabase(this.admin, target, template, { clause, setup, owned, signal });
  }

  private async dropOwn(name: string): Promise<void> {
    await dropOwnDatabase(this.admin, await this.instance(), name);
  }

  private async dropOwnRoles(roles: string[]): Promise<void> {
    await dropOwnRoles(this.admin, await this.instance(), roles);
  }

  async planCheckpoint(tag: string, database: string | undefined): Promise<CheckpointPlan> {
    const source = database || (this.source.database ?? 'postgres');
    if (!(await databaseExists(this.admin, source)))
      throw unknownSourceDatabase(source, displayUrl(this.admin));
    const id = checkpointDatabaseName(await this.instance(), tag);
    const strategy = chooseCloneStrategy(
      await databaseSize(this.admin, source),
      await this.environment(),
      parseCloneStrategy(this.deps.env.VERS_DB_CLONE_STRATEGY),
    );
    return { id, source, database: id, strategy };
  }

  /**
   * The copy becomes a template nobody connects to; before that its objects go to a NOLOGIN role
   * of its own (those a superuser owned are recorded) and its per-table checksums are taken.
   */
  async createCheckpoint(tag: string, plan: CheckpointPlan, o: { signal?: AbortSignal }) {
    const ms = await this.copy(plan.id, plan.source, plan.strategy as CloneStrategy, false, o.signal);
    const owner = (await this.sandboxed()) ? checkpointOwnerRole(await this.instance(), tag) : undefined;
    const sealed = await sealCheckpoint(this.admin, plan.id, owner, (m) =>
      this.deps.log(`checkpoint ${tag}: ${m}`),
    );
    await withClient(this.admin, (c) => c.query(SEAL_TEMPLATE_SQL(plan.id)));
    return { id: plan.id, durationMs: ms, extra: sealed };
  }

  async removeCheckpoint(entry: CheckpointEntry): Promise<void> {
    const instance = await this.instance();
    await this.dropOwn(entry.id || checkpointDatabaseName(instance, entry.tag));
    await this.dropOwn(workingDatabaseName(instance, entry.tag));
    // Its role, also while it was being made (the entry names it only once it is ready).
    const owner = entry.owner ?? ((await this.sandboxed()) ? checkpointOwnerRole(instance, entry.tag) : null);
    if (owner) await this.dropOwnRoles([owner]);
  }

  async planBranches(_ckpt: CheckpointEntry, names: readonly string[]): Promise<BranchPlan[]> {
    const instance = await this.instance();
    const sandboxed = await this.sandboxed();
    return names.map((name) => ({
      id: branchDatabaseName(instance, name),
      database: branchDatabaseName(instance, name),
      strategy: _ckpt.strategy,
      sandbox: sandboxed
        ? {
            owner: branchOwnerRole(instance, name),
            ownerPassword: newRolePassword(),
            reader: branchReaderRole(instance, name),
            readerPassword: newRolePassword(),
          }
        : undefined,
    }));
  }

  async createBranches(
    ckpt: CheckpointEntry,
    planned: readonly BranchEntry[],
    o: CreateBranchesOptions,
  ): Promise<void> {
    // One at a time: FILE_COPY checkpoints of concurrent copies would collide.
    for (const b of planned) {
      if (o.signal?.aborted) throw new CancelledError();
      if (b.sandbox) {
        await createRole(this.admin, b.sandbox.owner, b.sandbox.ownerPassword);
        await createRole(this.admin, b.sandbox.reader, b.sandbox.readerPassword);
      }
      const ms = await this.copy(b.id, ckpt.id, ckpt.strategy as CloneStrategy, true, o.signal);
      if (b.sandbox) {
        const { owner, reader } = b.sandbox;
        const sealed = await sealBranch(this.admin, b.database, {
          owner,
          reader,
          checkpointOwner: ckpt.owner ?? null,
        });
        for (const f of sealed.failed) this.deps.log(`branch ${b.name}: could not re-own ${f}`);
      }
      await o.ready(b.name, b.id, ms);
    }
  }

  async removeBranch(b: BranchEntry): Promise<void> {
    if (!b.database.startsWith(instancePrefix(await this.instance()))) {
      // Not a name vers-db gives: the registry was rewritten. Touch nothing.
      this.deps.log(
        `branch ${b.name} names database ${b.database}, which vers-db did not create: not dropping it`,
      );
      return;
    }
    await this.dropOwn(b.database);
    if (b.sandbox) await this.dropOwnRoles([b.sandbox.owner, b.sandbox.reader]);
  }

  async connect(b: BranchEntry, as: B.BranchRole): Promise<B.BranchConnection> {
    let config = withDatabase(this.source, b.database);
    if (b.sandbox) {
      // Role passwords are secrets too: a validation that echoes DATABASE_URL must not print one.
      addSecret(b.sandbox.ownerPassword);
      addSecret(b.sandbox.readerPassword);
    }
    if (b.sandbox && as === 'owner') {
      config = { ...config, user: b.sandbox.owner, password: b.sandbox.ownerPassword };
    } else if (b.sandbox && as === 'reader') {
      await grantReader(this.admin, b.database, b.sandbox.reader);
      config = { ...config, user: b.sandbox.reader, password: b.sandbox.readerPassword };
    }
    return { config, displayUrl: displayUrl(config), close: async () => {} };
  }

  async exec(b: BranchEntry, command: string, options: B.ExecOptions): Promise<B.ExecResult> {
    const { config } = await this.connect(b, options.superuser ? 'superuser' : 'owner');
    return this.run(config, command, options);
  }

  async connectSource(): Promise<B.BranchConnection> {
    return { config: this.source, displayUrl: displayUrl(this.source), close: async () => {} };
  }

  execSource(command: string, options: B.ExecOptions): Promise<B.ExecResult> {
    return this.run(this.source, command, options);
  }

  private run(config: ClientConfig, command: string, options: B.ExecOptions): Promise<B.ExecResult> {
    const { cwd, env } = this.deps;
    return runShellStep({ cwd, env, stateDir: stateDirOf(this.deps) }, config, command, options);
  }

  withAdmin<T>(fn: (admin: ClientConfig) => Promise<T>): Promise<T> {
    return fn(this.admin);
  }

  async rollback(ckpt: CheckpointEntry, o: { signal?: AbortSignal }): Promise<B.RollbackResult> {
    const target = workingDatabaseName(await this.instance(), ckpt.tag);
    const existed = await databaseExists(this.admin, target);
    if (existed) await this.dropOwn(target);
    await this.copy(target, ckpt.id, ckpt.strategy as CloneStrategy, true, o.signal);
    // The working copy is the user's to use: its objects go back to the server user, not the checkpoint's role.
    const owner = ckpt.owner;
    if (owner)
      await withClient(withDatabase(this.admin, target), (c) => c.query(REASSIGN_TO_SERVER_USER_SQL(owner)));
    return {
      tag: ckpt.tag,
      target: urlOf(withDatabase(this.source, target)),
      removed: existed ? target : null,
    };
  }

  /** Databases and roles of crashed processes, which the registry does not hold. */
  sweep(report: B.GcReport): Promise<void> {
    return sweepUnregistered(this.admin, this.deps.registry, report);
  }

  verifyCheckpoint(entry: CheckpointEntry): Promise<string[]> {
    return verifyTemplate(this.admin, entry, stateDirOf(this.deps));
  }

  async close(): Promise<void> {}
}
