/**
 * The storage driver for a user's own MySQL/MariaDB server (DATABASE_URL=mysql://… at a server
 * vers-db does not run), whose data directory is out of reach: the fallback of issue 12. A
 * checkpoint is a new database `vdb_<instance>_c_<tag>` on that server holding a logical copy of
 * the source database (logical-copy.ts); a branch `vdb_<instance>_b_<name>` and a rollback's
 * working copy `vdb_<instance>_w_<tag>` are logical copies of the checkpoint. Every copy reads and
 * writes every row again, so its cost grows with the data (a tool-owned server copies files) and
 * each one says so. Branch users (logical-sandbox.ts) are made when the URL's user may; otherwise
 * migrations run as the URL's user and the result's sandbox role says `server-user`. Only
 * databases and users with this state directory's prefix are ever dropped.
 */
import type * as B from '../../backends/backend.js';
import { type BackendDeps, stateDirOf } from '../../backends/deps.js';
import type {
  BranchPlan,
  CheckpointPlan,
  CreateBranchesOptions,
  StorageDriver,
} from '../../backends/driver.js';
import { checksumProblems } from '../../backends/local-verify.js';
import { unknownSourceDatabase } from '../../backends/messages.js';
import { runShellCommand } from '../../backends/shell-step.js';
import { BackendError, CancelledError } from '../../errors.js';
import {
  branchDatabaseName,
  checkpointDatabaseName,
  instancePrefix,
  workingDatabaseName,
} from '../../state/names.js';
import type { BranchEntry, CheckpointEntry } from '../../state/registry.js';
import type { ClientConfig } from '../../util/pg.js';
import { type MysqlConnection, type MysqlSettings, urlFromSettings, withMysql } from './client.js';
import { mysqlConnection, mysqlDisplayUrl, mysqlEnv } from './local-connection.js';
import { copyDatabase, copyFacts, type LogicalCopyStats } from './logical-copy.js';
import { DATABASES_LIKE_SQL, likePrefix } from './logical-copy-sql.js';
import {
  canCreateUsers,
  dropBranchUsers,
  dropUser,
  makeBranchUsers,
  plannedBranchUsers,
  usersWithPrefix,
} from './logical-sandbox.js';
import { mysqlDatabaseExists, mysqlSourceDatabase } from './source-database.js';

export const MYSQL_LOGICAL_CAPABILITIES: B.BackendCapabilities = {
  batchBranching: false,
  defaultParallel: 1,
  isolation: 'roles',
  appliesServerSettings: false,
};

export const STRATEGY_LOGICAL = 'logical-copy';

/** The cost line every checkpoint and branch logs. */
export const LOGICAL_COST_WARNING =
  "each branch is a logical copy on your server: every row is read and written again, so its time and space grow with the data (a tool-owned server's `vers-db up --engine mysql` copies files instead)";

const mb = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`;

export class MysqlLogicalDriver implements StorageDriver {
  readonly kind = 'local' as const;
  readonly engine = 'mysql' as const;
  readonly capabilities = MYSQL_LOGICAL_CAPABILITIES;

  constructor(
    private readonly deps: BackendDeps,
    /** DATABASE_URL's settings; its database is the source. */
    private readonly url: MysqlSettings & { database: string },
  ) {}

  private get admin(): MysqlSettings {
    const { database: _db, ...admin } = this.url;
    return admin;
  }

  private withAdmin_<T>(fn: (c: MysqlConnection) => Promise<T>): Promise<T> {
    return withMysql(this.admin, fn);
  }

  private instance(): Promise<string> {
    return this.deps.registry.instance();
  }

  private get sandboxed(): boolean {
    return !/^(off|0|false|no)$/i.test(this.deps.env.VERS_DB_SANDBOX?.trim() ?? '');
  }

  /** Drop a database of this state directory's (its sessions ended first); refuses any other. */
  private async dropOwn(name: string): Promise<void> {
    const prefix = instancePrefix(await this.instance());
    if (!name.startsWith(prefix)) {
      throw new BackendError(`refusing to drop database ${JSON.stringify(name)}: vers-db did not create it`, {
        hint: `vers-db only ever drops databases named ${prefix}… on your server`,
      });
    }
    await mysqlSourceDatabase(async () => this.admin, name).drop();
  }

  private async copy(from: string, to: string, what: string): Promise<LogicalCopyStats> {
    await this.dropOwn(to); // a leftover of a crashed run under this reserved name
    const stats = await this.withAdmin_((c) => copyDatabase(c, from, to));
    this.deps.log(
      `${what}: logical copy of ${stats.tables} tables, ${stats.rows} rows (${mb(stats.bytes)}) in ${stats.durationMs} ms; ${LOGICAL_COST_WARNING}`,
    );
    for (const note of stats.notes) this.deps.log(`${what}: ${note}`);
    return stats;
  }

  private checkKind(ckpt: CheckpointEntry): void {
    if (ckpt.strategy !== STRATEGY_LOGICAL) {
      throw new BackendError(
        `checkpoint ${ckpt.tag} is on vers-db's own MySQL server (${ckpt.strategy}), not on the server DATABASE_URL names`,
        { hint: 'unset DATABASE_URL to use it, or take a new checkpoint of your server' },
      );
    }
  }

  async planCheckpoint(tag: string, database: string | undefined): Promise<CheckpointPlan> {
    const db = database || this.url.database;
    if (!(await this.withAdmin_((c) => mysqlDatabaseExists(c, db))))
      throw unknownSourceDatabase(db, mysqlDisplayUrl(this.admin));
    const id = checkpointDatabaseName(await this.instance(), tag);
    return { id, source: db, database: db, strategy: STRATEGY_LOGICAL };
  }

  async createCheckpoint(tag: string, plan: CheckpointPlan, o: { signal?: AbortSignal }) {
    if (o.signal?.aborted) throw new CancelledError();
    const s = await this.copy(plan.source, plan.id, `checkpoint ${tag}`);
    const logicalCopy = {
      tables: s.tables,
      rows: s.rows,
      bytes: s.bytes,
      copyMs: s.durationMs,
      ...(s.notes.length > 0 ? { notes: s.notes } : {}),
    };
    // Sealed on the copy itself (it is a live database): no temporary branch, no second copy.
    const facts = await this.withAdmin_((c) => copyFacts(c, plan.id, plan.database));
    return { id: plan.id, durationMs: s.durationMs, extra: { logicalCopy, ...facts } };
  }

  /** The checkpoint's database read now against the checksums it was sealed with. */
  async verifyCheckpoint(entry: CheckpointEntry): Promise<string[]> {
    if (!entry.checksums) return [`checkpoint ${entry.tag}: no checksums were recorded when it was made`];
    const exists = await this.withAdmin_((c) => mysqlDatabaseExists(c, entry.id));
    if (!exists) return [`checkpoint ${entry.tag}: its database ${entry.id} is gone`];
    const now = await this.withAdmin_((c) => copyFacts(c, entry.id, entry.database));
    return checksumProblems(entry.tag, entry.checksums, now.checksums);
  }

  async removeCheckpoint(entry: CheckpointEntry): Promise<void> {
    const instance = await this.instance();
    await this.dropOwn(workingDatabaseName(instance, entry.tag));
    await this.dropOwn(entry.id || checkpointDatabaseName(instance, entry.tag));
  }

  async planBranches(ckpt: CheckpointEntry, names: readonly string[]): Promise<BranchPlan[]> {
    this.checkKind(ckpt);
    const instance = await this.instance();
    const users = this.sandboxed && (await this.withAdmin_(canCreateUsers));
    if (!users) {
      this.deps.log(
        `no branch users on ${mysqlDisplayUrl(this.admin)}: ${this.sandboxed ? 'its user may not create users and grant' : 'VERS_DB_SANDBOX=off'}; migrations run as that user`,
      );
    }
    return names.map((name) => {
      const database = branchDatabaseName(instance, name);
      return {
        id: database,
        database,
        strategy: STRATEGY_LOGICAL,
        ...(users ? { sandbox: plannedBranchUsers(instance, name) } : {}),
      };
    });
  }

  async createBranches(
    ckpt: CheckpointEntry,
    planned: readonly BranchEntry[],
    o: CreateBranchesOptions,
  ): Promise<void> {
    this.checkKind(ckpt);
    for (const b of planned) {
      if (o.signal?.aborted) throw new CancelledError();
      const t0 = performance.now();
      await this.copy(ckpt.id, b.database, `branch ${b.name}`);
      const roles = b.sandbox;
      if (roles) await this.withAdmin_((c) => makeBranchUsers(c, roles, b.database));
      await o.ready(b.name, b.database, performance.now() - t0);
    }
  }

  async removeBranch(b: BranchEntry): Promise<void> {
    const roles = b.sandbox;
    if (roles) await this.withAdmin_((c) => dropBranchUsers(c, roles));
    await this.dropOwn(b.database);
  }

  async connect(b: BranchEntry, as: B.BranchRole): Promise<B.BranchConnection> {
    const at = { host: this.url.host, port: this.url.port, database: b.database };
    const r = b.sandbox;
    if (as === 'owner' && r) return mysqlConnection({ ...at, user: r.owner, password: r.ownerPassword });
    if (as === 'reader' && r) return mysqlConnection({ ...at, user: r.reader, password: r.readerPassword });
    return mysqlConnection({ ...this.admin, database: b.database });
  }

  async exec(b: BranchEntry, command: string, options: B.ExecOptions): Promise<B.ExecResult> {
    const { config } = await this.connect(b, options.superuser ? 'superuser' : 'owner');
    const s = config as MysqlSettings;
    return this.run(s, command, options);
  }

  async connectSource(): Promise<B.BranchConnection> {
    return mysqlConnection(this.url);
  }

  async execSource(command: string, options: B.ExecOptions): Promise<B.ExecResult> {
    return this.run(this.url, command, options);
  }

  private run(s: MysqlSettings, command: string, options: B.ExecOptions): Promise<B.ExecResult> {
    const { cwd, env } = this.deps;
    const stateDir = stateDirOf(this.deps);
    return runShellCommand({ cwd, env, stateDir }, mysqlEnv(s), command, options);
  }

  withAdmin<T>(_fn: (admin: ClientConfig) => Promise<T>): Promise<T> {
    return Promise.reject(
      new BackendError('a PostgreSQL admin session was asked of the MySQL/MariaDB backend', {
        hint: 'this is a bug in vers-db: MySQL source databases go through sourceDatabase()',
      }),
    );
  }

  sourceDatabase(name: string): B.SourceDatabase {
    return mysqlSourceDatabase(async () => this.admin, name);
  }

  async rollback(ckpt: CheckpointEntry, o: { signal?: AbortSignal }): Promise<B.RollbackResult> {
    this.checkKind(ckpt);
    if (o.signal?.aborted) throw new CancelledError();
    const work = workingDatabaseName(await this.instance(), ckpt.tag);
    const existed = await this.withAdmin_((c) => mysqlDatabaseExists(c, work));
    await this.copy(ckpt.id, work, `rollback ${ckpt.tag}`);
    return {
      tag: ckpt.tag,
      target: urlFromSettings({ ...this.admin, database: work }),
      removed: existed ? work : null,
    };
  }

  /**
   * Databases and users with this state directory's prefix that the registry does not account
   * for: what crashed runs left. Listed before the registry is read (an entry is recorded before
   * its database is made), so nothing being made now is taken for a leftover.
   */
  async sweep(report: B.GcReport): Promise<void> {
    const instance = await this.instance();
    const prefix = instancePrefix(instance);
    const { databases, users } = await this.withAdmin_(async (c) => {
      const [found] = await c.query(DATABASES_LIKE_SQL, [likePrefix(prefix)]);
      const names = (found as { name: string }[]).map((r) => String(r.name));
      return { databases: names, users: await usersWithPrefix(c, instance) };
    });
    const data = await this.deps.registry.read();
    const known = new Set<string>();
    const knownUsers = new Set<string>();
    for (const c of Object.values(data.checkpoints)) {
      if (c.strategy !== STRATEGY_LOGICAL) continue;
      known.add(c.id || checkpointDatabaseName(instance, c.tag)).add(workingDatabaseName(instance, c.tag));
    }
    for (const b of Object.values(data.branches)) {
      if (b.strategy !== STRATEGY_LOGICAL) continue;
      known.add(b.database);
      if (b.sandbox) knownUsers.add(b.sandbox.owner).add(b.sandbox.reader);
    }
    for (const name of databases.filter((d) => d.startsWith(prefix) && !known.has(d))) {
      try {
        await this.dropOwn(name);
        report.removed.push(`unregistered MySQL database ${name}`);
      } catch (err) {
        report.errors.push(`MySQL database ${name}: ${(err as Error).message}`);
      }
    }
    for (const user of users.filter((u) => !knownUsers.has(u))) {
      try {
        await this.withAdmin_((c) => dropUser(c, user));
        report.removed.push(`unregistered MySQL user ${user}`);
      } catch (err) {
        report.errors.push(`MySQL user ${user}: ${(err as Error).message}`);
      }
    }
  }

  async close(): Promise<void> {}
}
