/**
 * The local storage driver for MySQL/MariaDB, under the managed layer (backends/managed.ts): the
 * source is a tool-owned server (`<state>/mysql/source`, database `app`, local-source.ts); a
 * checkpoint is a clean shutdown of it, a physical copy of its data directory (reflinked where the
 * filesystem can) and a restart; a branch is a copy of the checkpoint served by its own mariadbd on
 * its own port; a rollback is a fresh working copy server. One server per branch, so strategies
 * run one at a time by default.
 */
import { readdir } from 'node:fs/promises';
import type * as B from '../../backends/backend.js';
import { type BackendDeps, stateDirOf } from '../../backends/deps.js';
import type {
  BranchPlan,
  CheckpointPlan,
  CreateBranchesOptions,
  StorageDriver,
} from '../../backends/driver.js';
import { supportsReflinks } from '../../backends/local-clone.js';
import { unknownSourceDatabase } from '../../backends/messages.js';
import { runShellCommand } from '../../backends/shell-step.js';
import { mountThinVolume } from '../../backends/thin-volume.js';
import { BackendError, CancelledError } from '../../errors.js';
import type { BranchEntry, CheckpointEntry } from '../../state/registry.js';
import type { ClientConfig } from '../../util/pg.js';
import { copyServer, destroyServer } from './branch.js';
import { type MysqlSettings, urlFromSettings, withMysql } from './client.js';
import type { CopyStats } from './datadir.js';
import { serverLayout } from './layout.js';
import { mysqlConnection, mysqlDisplayUrl, mysqlEnv } from './local-connection.js';
import {
  kindDir,
  mysqlStateRoot,
  SERVER_KINDS,
  type ServerKind,
  serverId,
  serverRoot,
  sourceRoot,
} from './local-layout.js';
import { ensureSource, stopSourceIfUnused, withSourceStopped } from './local-source.js';
import { branchUser, branchUsers } from './sandbox.js';
import { type MysqlServer, serverStatus, startServer } from './server.js';
import { mysqlDatabaseExists, mysqlSourceDatabase } from './source-database.js';
import { readServerState } from './state.js';

export const MYSQL_LOCAL_CAPABILITIES: B.BackendCapabilities = {
  batchBranching: false,
  defaultParallel: 1,
  isolation: 'roles',
  appliesServerSettings: false,
};

/** How checkpoints and branches are copied: whole data directories, reflinked where possible. */
const STRATEGY_COPY = 'datadir-copy';
const STRATEGY_CLONE = 'datadir-copy+clone';

/** "120 files (96 MB) reflinked" / "… copied in full" / "… (80 of 120 reflinked)". */
export function describeCopy(c: CopyStats): string {
  const what = `${c.files} files (${Math.round(c.bytes / 1048576)} MB)`;
  if (c.reflinked === c.files) return `${what} reflinked`;
  if (c.reflinked === 0) return `${what} copied in full`;
  return `${what} copied (${c.reflinked} of ${c.files} reflinked)`;
}

export class MysqlLocalDriver implements StorageDriver {
  readonly kind = 'local' as const;
  readonly engine = 'mysql' as const;
  readonly capabilities = MYSQL_LOCAL_CAPABILITIES;

  constructor(
    private readonly deps: BackendDeps,
    /** The source database on the source server (DATABASE_URL's, or `app`). */
    private readonly sourceDb: string,
  ) {}

  private get stateDir(): string {
    return stateDirOf(this.deps);
  }

  private get startOptions() {
    return { log: this.deps.log, env: this.deps.env };
  }

  private root(kind: ServerKind, name: string): string {
    return serverRoot(this.stateDir, kind, name);
  }

  /** The servers' thin volume mounted, when the state directory has one (after `down`, a reboot). */
  private async mounted(): Promise<void> {
    await mountThinVolume(this.stateDir, this.deps.log);
  }

  private source(): Promise<MysqlServer> {
    return ensureSource(this.stateDir, this.startOptions);
  }

  /** The server of a branch, started if it is not running (after `down`, a reboot). */
  private async serve(root: string): Promise<MysqlServer> {
    await this.mounted();
    if ((await serverStatus(root)) === 'running') {
      const layout = serverLayout(root);
      const s = await readServerState(layout.stateFile);
      if (s?.port && s.pid) {
        const settings = { host: '127.0.0.1', port: s.port, user: s.user, password: s.password };
        return { layout, settings, pid: s.pid, startedHere: false };
      }
    }
    return startServer(root, this.startOptions);
  }

  /**
   * Branches are sandboxed (an owner and a reader user of the branch's database only, sandbox.ts)
   * unless VERS_DB_SANDBOX=off, as on PostgreSQL; then every role is the tool user.
   */
  private get sandboxed(): boolean {
    return !/^(off|0|false|no)$/i.test(this.deps.env.VERS_DB_SANDBOX?.trim() ?? '');
  }

  async planCheckpoint(tag: string, database: string | undefined): Promise<CheckpointPlan> {
    const db = database || this.sourceDb;
    const server = await this.source();
    if (!(await withMysql(server.settings, (c) => mysqlDatabaseExists(c, db))))
      throw unknownSourceDatabase(db, mysqlDisplayUrl(server.settings));
    const clone = await supportsReflinks(mysqlStateRoot(this.stateDir)).catch(() => false);
    return {
      id: serverId('ckpt', tag),
      source: db,
      database: db,
      strategy: clone ? STRATEGY_CLONE : STRATEGY_COPY,
    };
  }

  /** Clean shutdown of the source → copy of its data directory → restart. */
  async createCheckpoint(tag: string, plan: CheckpointPlan, o: { signal?: AbortSignal }) {
    if (o.signal?.aborted) throw new CancelledError();
    const root = this.root('ckpt', tag);
    this.deps.log(
      `checkpoint ${tag}: the source server restarts for a consistent copy; its sessions are closed`,
    );
    await destroyServer(root); // a leftover of a crashed run under this reserved tag
    const { value: copy, timings } = await withSourceStopped(
      this.stateDir,
      () => copyServer(sourceRoot(this.stateDir), root),
      this.startOptions,
    );
    const ms = timings.stopMs + timings.copyMs + timings.restartMs;
    this.deps.log(
      `checkpoint ${tag}: source stopped in ${Math.round(timings.stopMs)} ms, ${describeCopy(copy)} in ${Math.round(timings.copyMs)} ms, restarted in ${Math.round(timings.restartMs)} ms`,
    );
    const round = (n: number) => Math.round(n);
    const recorded = {
      stopMs: round(timings.stopMs),
      copyMs: round(timings.copyMs),
      restartMs: round(timings.restartMs),
      files: copy.files,
      bytes: copy.bytes,
      reflinked: copy.reflinked,
    };
    return { id: plan.id, durationMs: ms, extra: { copy: recorded } };
  }

  async removeCheckpoint(entry: CheckpointEntry): Promise<void> {
    await this.mounted();
    await destroyServer(this.root('work', entry.tag));
    await destroyServer(this.root('ckpt', entry.tag));
  }

  async planBranches(ckpt: CheckpointEntry, names: readonly string[]): Promise<BranchPlan[]> {
    // The id is set once the branch's server is up: until then the branch is not ready.
    return names.map(() => ({ id: '', database: ckpt.database, strategy: ckpt.strategy }));
  }

  async createBranches(
    ckpt: CheckpointEntry,
    planned: readonly BranchEntry[],
    o: CreateBranchesOptions,
  ): Promise<void> {
    await this.mounted();
    // One at a time: each branch is a whole server (copy, then start).
    for (const b of planned) {
      if (o.signal?.aborted) throw new CancelledError();
      const root = this.root('branch', b.name);
      await destroyServer(root); // a leftover of a crashed run under this reserved name
      const t0 = performance.now();
      const copy = await copyServer(this.root('ckpt', ckpt.tag), root);
      this.deps.log(`branch ${b.name}: ${describeCopy(copy)} in ${copy.elapsedMs} ms`);
      const server = await startServer(root, this.startOptions);
      if (this.sandboxed) await branchUsers(server, b.database);
      await o.ready(b.name, serverId('branch', b.name), performance.now() - t0);
    }
  }

  async removeBranch(b: BranchEntry): Promise<void> {
    await this.mounted();
    await destroyServer(this.root('branch', b.name));
  }

  async connect(b: BranchEntry, as: B.BranchRole): Promise<B.BranchConnection> {
    const server = await this.serve(this.root('branch', b.name));
    return mysqlConnection(await branchUser(server, b.database, this.sandboxed ? as : 'superuser'));
  }

  async exec(b: BranchEntry, command: string, options: B.ExecOptions): Promise<B.ExecResult> {
    const { config } = await this.connect(b, options.superuser ? 'superuser' : 'owner');
    return this.run(config as MysqlSettings, command, options);
  }

  private async sourceSettings(): Promise<MysqlSettings> {
    return { ...(await this.source()).settings, database: this.sourceDb };
  }

  async connectSource(): Promise<B.BranchConnection> {
    return mysqlConnection(await this.sourceSettings());
  }

  async execSource(command: string, options: B.ExecOptions): Promise<B.ExecResult> {
    return this.run(await this.sourceSettings(), command, options);
  }

  private run(s: MysqlSettings, command: string, options: B.ExecOptions): Promise<B.ExecResult> {
    const { cwd, env } = this.deps;
    return runShellCommand({ cwd, env, stateDir: this.stateDir }, mysqlEnv(s), command, options);
  }

  withAdmin<T>(_fn: (admin: ClientConfig) => Promise<T>): Promise<T> {
    return Promise.reject(
      new BackendError('a PostgreSQL admin session was asked of the MySQL/MariaDB backend', {
        hint: 'this is a bug in vers-db: MySQL source databases go through sourceDatabase()',
      }),
    );
  }

  sourceDatabase(name: string): B.SourceDatabase {
    return mysqlSourceDatabase(async () => (await this.source()).settings, name);
  }

  async rollback(ckpt: CheckpointEntry, o: { signal?: AbortSignal }): Promise<B.RollbackResult> {
    if (o.signal?.aborted) throw new CancelledError();
    await this.mounted();
    const root = this.root('work', ckpt.tag);
    const existed = (await readServerState(serverLayout(root).stateFile)) !== null;
    await destroyServer(root);
    await copyServer(this.root('ckpt', ckpt.tag), root);
    const server = await startServer(root, this.startOptions);
    return {
      tag: ckpt.tag,
      target: urlFromSettings({ ...server.settings, database: ckpt.database }),
      removed: existed ? serverId('work', ckpt.tag) : null,
    };
  }

  /**
   * Server directories (and their processes) the registry does not account for: what crashed runs
   * left. Listed before the registry is read: a directory is made only after its entry is recorded.
   */
  async sweep(report: B.GcReport): Promise<void> {
    await this.mounted();
    const found: { kind: ServerKind; name: string }[] = [];
    for (const kind of SERVER_KINDS) {
      for (const name of await readdir(kindDir(this.stateDir, kind)).catch(() => [] as string[]))
        found.push({ kind, name });
    }
    const data = await this.deps.registry.read();
    const mine = (e: { backend: string; engine?: string } | undefined) =>
      e?.backend === 'local' && e.engine === 'mysql';
    for (const { kind, name } of found) {
      const known = kind === 'branch' ? mine(data.branches[name]) : mine(data.checkpoints[name]);
      if (known) continue;
      try {
        await destroyServer(this.root(kind, name));
        report.removed.push(`MySQL server ${serverId(kind, name)}`);
      } catch (err) {
        report.errors.push(`MySQL server ${serverId(kind, name)}: ${(err as Error).message}`);
      }
    }
    if (await stopSourceIfUnused(this.stateDir).catch(() => false))
      report.removed.push('the on-demand MySQL source server (no process uses it)');
  }

  async close(): Promise<void> {}
}
