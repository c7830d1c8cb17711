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
import { mysqlSourceDatabase } from '../engines/mysql/source-database.js';
import { BackendError, ConflictError, InvalidInputError } from '../errors.js';
import type { BranchEntry, CheckpointEntry, RegistryData } from '../state/registry.js';
import { type ClientConfig, withDatabase } from '../util/pg.js';
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
import { unknownSourceDatabase } from './messages.js';
import { adminConfigFor, databaseExists } from './pg-admin.js';
import {
  ensureMysqlReader,
  flushForCommit,
  mysqlDatabaseExists,
  mysqlSettingsOf,
  VERS_MYSQL_READER,
} from './vers-mysql.js';
import { ensureReaderRole, VERS_READER_ROLE } from './vers-reader.js';
import { VersSession } from './vers-session.js';
import { VersVms } from './vers-vms.js';

/** Registry settings keys the vers backend owns. */
export const VERS_SETTINGS = {
  baseVm: 'vers.baseVm',
  password: 'vers.pgPassword',
  /** The password of the read-only role (vers-reader.ts), made with the first checkpoint. */
  readerPassword: 'vers.readerPassword',
  database: 'vers.database',
  pgVersion: 'vers.pgVersion',
  /** 'mysql' when the base VM runs MariaDB (absent: PostgreSQL). */
  engine: 'vers.engine',
  /** The password of the base VM's MariaDB user versdb. */
  mysqlPassword: 'vers.mysqlPassword',
  /** + tag: the working VM the last rollback of that checkpoint made. */
  workingPrefix: 'vers.working.',
} as const;

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
  /** Only on MySQL: PostgreSQL's source databases are the managed layer's (withAdmin). */
  readonly sourceDatabase?: (name: string) => B.SourceDatabase;

  constructor(
    private readonly deps: BackendDeps,
    readonly client: VersClient,
  ) {
    this.engine = deps.engine ?? 'postgres';
    if (this.engine === 'mysql') this.sourceDatabase = (name) => this.mysqlSourceDatabase(name);
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
    const engine: EngineName = s[VERS_SETTINGS.engine] === 'mysql' ? 'mysql' : 'postgres';
    const password = s[engine === 'mysql' ? VERS_SETTINGS.mysqlPassword : VERS_SETTINGS.password];
    const mysql = this.engine === 'mysql';
    if (!vm || !password) {
      throw new InvalidInputError('no Vers base VM is set up for this project', {
        hint: `run \`vers-db up --backend vers${mysql ? ' --engine mysql' : ''}\` to create a VM with ${mysql ? 'MariaDB' : 'PostgreSQL'}, load your data into it, then checkpoint`,
      });
    }
    if (engine !== this.engine) {
      const label = (e: EngineName) => (e === 'mysql' ? 'MariaDB' : 'PostgreSQL');
      throw new InvalidInputError(
        `this project's Vers base VM ${vm} serves ${label(engine)}, but this command runs on ${label(this.engine)}`,
        {
          hint: `run it with --engine ${engine} (or VERS_DB_ENGINE=${engine}), or make a ${label(this.engine)} base VM with \`vers-db up --backend vers --engine ${this.engine} --fresh\``,
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
    const s = await this.settings();
    const password = s[engine === 'mysql' ? VERS_SETTINGS.mysqlPassword : VERS_SETTINGS.password];
    if (!password) {
      throw new BackendError(
        `this project has no ${engine === 'mysql' ? 'MariaDB' : 'PostgreSQL'} password recorded`,
        {
          hint: `run \`vers-db up --backend vers${engine === 'mysql' ? ' --engine mysql' : ''}\` again`,
        },
      );
    }
    return password;
  }

  /** The database must exist in the base VM; the read-only role is made there before the commit. */
  async planCheckpoint(_tag: string, database: string | undefined): Promise<CheckpointPlan> {
    const base = await this.base();
    const db = database || base.database;
    const reader = await this.readerPassword();
    if (base.engine === 'mysql') return this.planMysqlCheckpoint(base, db, reader);
    const conn = await this.session.connect(base.vm, base.database, base.password);
    try {
      if (!(await databaseExists(conn.config, db))) throw unknownSourceDatabase(db, `VM ${base.vm}`);
      await ensureReaderRole(withDatabase(conn.config, db), reader);
    } finally {
      await conn.close();
    }
    return { id: '', source: base.vm, database: db, strategy: 'vers commit', extra: { vm: base.vm } };
  }

  /**
   * MySQL: the reader user is made, then every table is flushed (FLUSH TABLES). No read lock is
   * held across the commit and the server is not stopped: a vers commit pauses the VM and keeps
   * its memory with its disk, so a lock held then would be held forever in every branch by a
   * session whose client is gone, and a stopped server would be stopped in every branch. InnoDB's
   * redo log makes even a disk-only snapshot recoverable; the flush covers the Aria system tables.
   */
  private async planMysqlCheckpoint(
    base: { vm: string; database: string; password: string },
    db: string,
    reader: string,
  ): Promise<CheckpointPlan> {
    const conn = await this.session.connect(base.vm, base.database, base.password, { engine: 'mysql' });
    try {
      const s = mysqlSettingsOf(conn);
      if (!(await mysqlDatabaseExists(s, db))) throw unknownSourceDatabase(db, `VM ${base.vm}`);
      await ensureMysqlReader(s, db, reader);
      await flushForCommit(s);
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
    const user = engine === 'mysql' ? VERS_MYSQL_READER : VERS_READER_ROLE;
    return this.session.connect(b.id, b.database, reader, { user, engine });
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

  /** MySQL: databases beside the source, in the base VM's MariaDB (a tunnel per call). */
  private mysqlSourceDatabase(name: string): B.SourceDatabase {
    const run = async <T>(fn: (db: B.SourceDatabase) => Promise<T>): Promise<T> => {
      const conn = await this.connectSource();
      try {
        return await fn(mysqlSourceDatabase(async () => mysqlSettingsOf(conn), name));
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
    if (this.engine === 'mysql') {
      throw new BackendError('this is a bug in vers-db: MySQL source databases go through sourceDatabase()');
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
