/**
 * The local backend: checkpoints and branches are template-database clones on one PostgreSQL
 * server — the one in DATABASE_URL (13 or newer), or the embedded default.
 */

import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from '../core/context.js';
import {
  BackendError,
  CancelledError,
  ConflictError,
  DatabaseError,
  InvalidInputError,
  NotFoundError,
} from '../errors.js';
import { processAlive } from '../state/children.js';
import {
  branchDatabaseName,
  branchOwnerRole,
  branchReaderRole,
  checkpointDatabaseName,
  checkpointOwnerRole,
  instancePrefix,
  validateName,
  workingDatabaseName,
} from '../state/names.js';
import type { BranchEntry, CheckpointEntry } from '../state/registry.js';
import {
  type ClientConfig,
  configFromUrl,
  displayUrl,
  type PgClient,
  quoteIdent,
  urlOf,
  withClient,
  withDatabase,
} from '../util/pg.js';
import { addSecret } from '../util/secrets.js';
import type {
  Backend,
  BranchConnection,
  BranchInfo,
  BranchOptions,
  BranchRole,
  CheckpointInfo,
  ExecOptions,
  ExecResult,
  GcReport,
  RollbackResult,
} from './backend.js';
import { ensureEmbedded } from './embedded.js';
import {
  type CloneEnvironment,
  type CloneStrategy,
  chooseCloneStrategy,
  parseCloneStrategy,
  strategyClause,
  supportsReflinks,
} from './local-clone.js';
import {
  createRole,
  dropRoles,
  dropUnknownRoles,
  grantReader,
  isSuperuser,
  newRolePassword,
  sealBranch,
  sealCheckpoint,
} from './local-sandbox.js';
import { verifyTemplate } from './local-verify.js';
import { runShellStep } from './shell-step.js';

const TERMINATE_CREATING_SQL = `
  SELECT pg_terminate_backend(pid) FROM pg_stat_activity
  WHERE pid <> pg_backend_pid() AND state = 'active' AND starts_with(query, $1)`;

/** The database the embedded default loads data into and checkpoints from. */
export const EMBEDDED_SOURCE_DATABASE = 'app';
const MIN_SERVER_VERSION = 130000;

const SERVER_VERSION_SQL = `SELECT current_setting('server_version_num')::int AS v, current_setting('data_directory', true) AS data_dir`;
const DATABASE_EXISTS_SQL = 'SELECT 1 FROM pg_database WHERE datname = $1';
const DATABASE_SIZE_SQL = 'SELECT pg_database_size($1)::bigint AS size';
/** Who else is connected to a database we are about to copy (CREATE DATABASE refuses then). */
const OTHER_SESSIONS_SQL = `
  SELECT pid, usename, application_name, coalesce(client_addr::text, 'local') AS client, state, backend_type
  FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() ORDER BY pid`;
/** SQLSTATE 55006: source database "x" is being accessed by other users. */
const SOURCE_BUSY = '55006';
const CLONE_ATTEMPTS = 3;
const CLONE_RETRY_MS = 300;

async function otherSessions(c: PgClient, database: string): Promise<OtherSession[]> {
  return (await c.query<OtherSession>(OTHER_SESSIONS_SQL, [database])).rows;
}
const OWN_DATABASES_SQL = `SELECT datname FROM pg_database WHERE starts_with(datname, $1) ORDER BY 1`;

/** node-postgres knows the server process id of a connection but does not declare it. */
export const backendPid = (client: object): number => (client as { processID: number }).processID;

interface OtherSession {
  backend_type: string;
  pid: number;
  usename: string;
  application_name: string;
  client: string;
  state: string | null;
}

export class LocalBackend implements Backend {
  readonly kind = 'local' as const;
  private cloneEnv: Promise<CloneEnvironment> | undefined;
  private sandbox: Promise<boolean> | undefined;

  constructor(
    private readonly ctx: Context,
    /** Connection to the source database (the one that is checkpointed). */
    private readonly source: ClientConfig,
    /** Where the embedded server keeps its data, when it is ours (for the reflink probe). */
    private readonly dataDir: string | null,
  ) {}

  get sourceDatabase(): string {
    return this.source.database ?? 'postgres';
  }

  /** Admin work runs from a database that is never copied: `postgres`, or template1 when postgres is the source. */
  private get admin(): ClientConfig {
    return withDatabase(this.source, this.sourceDatabase === 'postgres' ? 'template1' : 'postgres');
  }

  private async instance(): Promise<string> {
    return this.ctx.registry.instance();
  }

  async verifyServer(): Promise<number> {
    // Connect to the source itself: errors then name the database the user configured.
    const { v } = await withClient(
      this.source,
      async (c) => (await c.query<{ v: number }>(SERVER_VERSION_SQL)).rows[0]!,
    );
    if (v < MIN_SERVER_VERSION) {
      throw new DatabaseError(
        `PostgreSQL ${Math.floor(v / 10000)} is not supported at ${displayUrl(this.source)}`,
        {
          hint: 'vers-db needs PostgreSQL 13 or newer (DROP DATABASE … WITH (FORCE))',
        },
      );
    }
    return v;
  }

  /**
   * Branches are sandboxed (own roles) when the server user can make roles, i.e. is a superuser;
   * a server user that is no superuser is already the limit. VERS_DB_SANDBOX=off turns it off.
   */
  private sandboxed(): Promise<boolean> {
    this.sandbox ??= (async () => {
      if (/^(off|0|false|no)$/i.test(this.ctx.env.VERS_DB_SANDBOX?.trim() ?? '')) return false;
      return isSuperuser(this.admin);
    })();
    return this.sandbox;
  }

  private environment(): Promise<CloneEnvironment> {
    this.cloneEnv ??= (async () => {
      const serverVersionNum = await this.verifyServer();
      const reflinks = this.dataDir ? await supportsReflinks(this.dataDir) : null;
      return { serverVersionNum, reflinks };
    })();
    return this.cloneEnv;
  }

  private async chooseStrategy(database: string): Promise<CloneStrategy> {
    const env = await this.environment();
    const size = await withClient(this.admin, async (c) =>
      Number((await c.query(DATABASE_SIZE_SQL, [database])).rows[0].size),
    );
    return chooseCloneStrategy(size, env, parseCloneStrategy(this.ctx.env.VERS_DB_CLONE_STRATEGY));
  }

  /**
   * CREATE DATABASE … TEMPLATE, timed. PostgreSQL refuses while anyone else is connected to the
   * template: sessions on a template the tool owns are terminated, and so are autovacuum workers
   * (vacuum simply starts again later); client sessions on the user's own database are named in
   * the error instead. A session that slips in between the check and the copy gets a short retry.
   */
  private async cloneDatabase(
    target: string,
    template: string,
    strategy: CloneStrategy,
    owned: boolean,
    signal?: AbortSignal,
  ): Promise<number> {
    const { clause, setup } = strategyClause(strategy, (await this.environment()).serverVersionNum);
    return withClient(this.admin, async (c) => {
      if (setup) await c.query(setup);
      for (let attempt = 1; ; attempt++) {
        await this.clearTemplate(c, template, owned);
        const onAbort = () =>
          void withClient(this.admin, (k) => k.query('SELECT pg_cancel_backend($1)', [backendPid(c)])).catch(
            () => {},
          );
        signal?.addEventListener('abort', onAbort, { once: true });
        const start = performance.now();
        try {
          await c.query(`CREATE DATABASE ${quoteIdent(target)} TEMPLATE ${quoteIdent(template)} ${clause}`);
          return performance.now() - start;
        } catch (err) {
          const e = err as { code?: string; message: string };
          if (signal?.aborted) throw new CancelledError();
          if (e.code === SOURCE_BUSY && attempt < CLONE_ATTEMPTS) {
            await sleep(CLONE_RETRY_MS);
            continue;
          }
          if (e.code === SOURCE_BUSY) throw this.busySourceError(template, await otherSessions(c, template));
          if (e.code === '42P04')
            throw new ConflictError(`database ${JSON.stringify(target)} already exists`, {
              hint: 'run `vers-db gc`',
            });
          throw new DatabaseError(`could not copy ${template} to ${target}: ${e.message}`, {
            cause: err,
            code: e.code,
          });
        } finally {
          signal?.removeEventListener('abort', onAbort);
        }
      }
    });
  }

  /** Make the template copyable, or say who keeps it busy. */
  private async clearTemplate(c: PgClient, template: string, owned: boolean): Promise<void> {
    const others = await otherSessions(c, template);
    const clients = others.filter((o) => o.backend_type !== 'autovacuum worker');
    if (clients.length > 0 && !owned) throw this.busySourceError(template, clients);
    const terminate = owned ? others : others.filter((o) => o.backend_type === 'autovacuum worker');
    for (const o of terminate) await c.query('SELECT pg_terminate_backend($1)', [o.pid]);
  }

  private busySourceError(database: string, sessions: OtherSession[]): DatabaseError {
    const list = sessions
      .slice(0, 5)
      .map(
        (s) =>
          `pid ${s.pid} (${s.application_name || 'no application_name'}, user ${s.usename}, ${s.client}, ${s.state ?? 'unknown'})`,
      )
      .join('; ');
    return new DatabaseError(
      `source database ${JSON.stringify(database)} is being accessed by other users: ${list}${sessions.length > 5 ? ` and ${sessions.length - 5} more` : ''}`,
      {
        hint: 'PostgreSQL copies a database only while nobody else is connected to it: close those sessions (or pg_terminate_backend them) and retry',
        code: '55006',
      },
    );
  }

  private async dropDatabase(name: string): Promise<void> {
    // Only databases this state directory named: a damaged or rewritten registry drops nothing else.
    const prefix = instancePrefix(await this.instance());
    if (!name.startsWith(prefix)) {
      throw new BackendError(`refusing to drop database ${JSON.stringify(name)}: vers-db did not create it`, {
        hint: `vers-db only ever drops databases named ${prefix}…; the registry entry naming it was not written by vers-db`,
      });
    }
    await withClient(this.admin, async (c) => {
      // A CREATE DATABASE of a killed process may still be copying: stop it first, or the database
      // appears after this DROP found nothing to drop.
      const creating = `CREATE DATABASE ${quoteIdent(name)} `;
      for (let i = 0; i < 100; i++) {
        const { rowCount } = await c.query(TERMINATE_CREATING_SQL, [creating]);
        if (!rowCount) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // A template cannot be dropped; clear the flag first (ignore "does not exist").
      await c.query(`ALTER DATABASE ${quoteIdent(name)} WITH IS_TEMPLATE false`).catch(() => undefined);
      await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    });
  }

  private async databaseExists(name: string): Promise<boolean> {
    return withClient(this.admin, async (c) => (await c.query(DATABASE_EXISTS_SQL, [name])).rowCount === 1);
  }

  async checkpoint(
    tag: string,
    options: { database?: string; signal?: AbortSignal; createdBy?: string } = {},
  ): Promise<CheckpointInfo> {
    validateName('checkpoint tag', tag);
    const source = options.database || this.sourceDatabase;
    if (!(await this.databaseExists(source))) {
      throw new NotFoundError(
        `database ${JSON.stringify(source)} does not exist at ${displayUrl(this.admin)}`,
      );
    }
    const instance = await this.instance();
    const id = checkpointDatabaseName(instance, tag);
    const strategy = await this.chooseStrategy(source);
    const createdAt = new Date().toISOString();
    const entry: CheckpointInfo = {
      tag,
      backend: 'local',
      id,
      source,
      database: id,
      createdAt,
      strategy,
      durationMs: 0,
    };
    // Recorded before the database exists, so a crash leaves something gc can find.
    await this.ctx.registry.update((d) => {
      if (d.checkpoints[tag]) {
        throw new ConflictError(`checkpoint ${JSON.stringify(tag)} already exists`, {
          hint: `pick another tag, or remove it first with \`vers-db branches\` / db_branches delete`,
        });
      }
      d.checkpoints[tag] = { ...entry, state: 'creating', createdBy: options.createdBy, pid: process.pid };
    });
    try {
      const ms = await this.cloneDatabase(id, source, strategy, false, options.signal);
      const sealed = await this.sealCheckpoint(id, tag);
      await withClient(this.admin, (c) =>
        c.query(`ALTER DATABASE ${quoteIdent(id)} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`),
      );
      const done = { ...entry, durationMs: Math.round(ms) };
      await this.ctx.registry.update((d) => {
        d.checkpoints[tag] = { ...done, ...sealed, state: 'ready', createdBy: options.createdBy };
      });
      return done;
    } catch (err) {
      await this.dropDatabase(id).catch(() => undefined);
      await dropRoles(this.admin, [checkpointOwnerRole(instance, tag)]).catch(() => undefined);
      await this.ctx.registry.update((d) => {
        delete d.checkpoints[tag];
      });
      throw err;
    }
  }

  /**
   * Before a checkpoint becomes a template: its objects go to a NOLOGIN role of its own (those a
   * superuser owned are recorded), nobody but the server user may connect to it, and its
   * per-table checksums are taken, to be checked after every run.
   */
  private async sealCheckpoint(
    id: string,
    tag: string,
  ): Promise<Pick<CheckpointEntry, 'owner' | 'reowned' | 'checksums'>> {
    const owner = (await this.sandboxed()) ? checkpointOwnerRole(await this.instance(), tag) : undefined;
    return sealCheckpoint(this.admin, id, owner, (m) => this.ctx.log(`checkpoint ${tag}: ${m}`));
  }

  async branch(
    checkpoint: string,
    names: readonly string[],
    options: BranchOptions = {},
  ): Promise<BranchInfo[]> {
    for (const n of names) validateName('branch name', n);
    if (new Set(names).size !== names.length) throw new InvalidInputError('branch names must be unique');
    const ckpt = await this.ctx.registry.checkpoint(checkpoint);
    if (ckpt?.backend !== 'local' || ckpt.state !== 'ready') throw await this.unknownCheckpoint(checkpoint);
    const instance = await this.instance();
    const createdAt = new Date().toISOString();
    const sandboxed = await this.sandboxed();
    const planned: BranchEntry[] = names.map((name) => ({
      name,
      backend: 'local',
      checkpoint,
      id: branchDatabaseName(instance, name),
      database: branchDatabaseName(instance, name),
      createdAt,
      durationMs: 0,
      strategy: ckpt.strategy,
      state: 'creating',
      createdBy: options.createdBy ?? 'vers-db',
      pid: process.pid,
      keep: options.keep ?? false,
      sandbox: sandboxed
        ? {
            owner: branchOwnerRole(instance, name),
            ownerPassword: newRolePassword(),
            reader: branchReaderRole(instance, name),
            readerPassword: newRolePassword(),
          }
        : undefined,
    }));
    await this.ctx.registry.reserveBranches(planned);
    const made: BranchInfo[] = [];
    try {
      // One at a time: FILE_COPY checkpoints of concurrent copies would collide.
      for (const b of planned) {
        if (options.signal?.aborted) throw new CancelledError();
        if (b.sandbox) {
          await createRole(this.admin, b.sandbox.owner, b.sandbox.ownerPassword);
          await createRole(this.admin, b.sandbox.reader, b.sandbox.readerPassword);
        }
        const ms = await this.cloneDatabase(
          b.id,
          ckpt.id,
          ckpt.strategy as CloneStrategy,
          true,
          options.signal,
        );
        if (b.sandbox) {
          const { owner, reader } = b.sandbox;
          const sealed = await sealBranch(this.admin, b.database, {
            owner,
            reader,
            checkpointOwner: ckpt.owner ?? null,
          });
          for (const f of sealed.failed) this.ctx.log(`branch ${b.name}: could not re-own ${f}`);
        }
        const info: BranchInfo = { ...b, durationMs: Math.round(ms) };
        await this.ctx.registry.update((d) => {
          const e = d.branches[b.name];
          if (e) Object.assign(e, { state: 'ready', durationMs: info.durationMs });
        });
        made.push(info);
      }
      return made;
    } catch (err) {
      for (const b of planned) await this.destroy(b.name).catch(() => undefined);
      throw err;
    }
  }

  private async unknownCheckpoint(tag: string): Promise<NotFoundError> {
    const known = (await this.ctx.registry.listCheckpoints('local'))
      .filter((c) => c.state === 'ready')
      .map((c) => c.tag);
    return new NotFoundError(`no checkpoint named ${JSON.stringify(tag)}`, {
      hint: known.length
        ? `known checkpoints: ${known.join(', ')}`
        : 'create one with `vers-db checkpoint <tag>` (db_checkpoint)',
    });
  }

  private async branchEntry(name: string): Promise<BranchEntry> {
    const b = await this.ctx.registry.branch(name);
    if (b?.backend !== 'local') {
      throw new NotFoundError(`no branch named ${JSON.stringify(name)}`, {
        hint: 'list them with `vers-db branches`',
      });
    }
    return b;
  }

  async connect(branch: string, options: { as?: BranchRole } = {}): Promise<BranchConnection> {
    const b = await this.branchEntry(branch);
    let config = withDatabase(this.source, b.database);
    const as = options.as ?? 'owner';
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

  async connectSource(): Promise<BranchConnection> {
    return { config: this.source, displayUrl: displayUrl(this.source), close: async () => {} };
  }

  private run(config: ClientConfig, command: string, options: ExecOptions = {}): Promise<ExecResult> {
    return runShellStep(this.ctx, config, command, options);
  }

  async exec(branch: string, command: string, options?: ExecOptions): Promise<ExecResult> {
    const { config } = await this.connect(branch, { as: options?.superuser ? 'superuser' : 'owner' });
    return this.run(config, command, options);
  }

  async execSource(command: string, options?: ExecOptions): Promise<ExecResult> {
    return this.run(this.source, command, options);
  }

  async rollback(tag: string, options: { signal?: AbortSignal } = {}): Promise<RollbackResult> {
    const ckpt = await this.ctx.registry.checkpoint(tag);
    if (ckpt?.backend !== 'local' || ckpt.state !== 'ready') throw await this.unknownCheckpoint(tag);
    const target = workingDatabaseName(await this.instance(), tag);
    const existed = await this.databaseExists(target);
    if (existed) await this.dropDatabase(target);
    await this.cloneDatabase(target, ckpt.id, ckpt.strategy as CloneStrategy, true, options.signal);
    // The working copy is the user's to use: its objects go back to the server user, not the checkpoint's role.
    if (ckpt.owner) {
      const owner = ckpt.owner;
      await withClient(withDatabase(this.admin, target), (c) =>
        c.query(`REASSIGN OWNED BY ${quoteIdent(owner)} TO CURRENT_USER`),
      );
    }
    return { tag, target: urlOf(withDatabase(this.source, target)), removed: existed ? target : null };
  }

  async destroy(branch: string): Promise<void> {
    const b = await this.ctx.registry.branch(branch);
    if (b?.backend !== 'local') return;
    if (!b.database.startsWith(instancePrefix(await this.instance()))) {
      // Not a name vers-db gives: the registry was rewritten. Forget the entry, touch nothing.
      this.ctx.log(
        `branch ${branch} names database ${b.database}, which vers-db did not create: not dropping it`,
      );
      await this.ctx.registry.update((d) => {
        delete d.branches[branch];
      });
      return;
    }
    await this.ctx.registry.update((d) => {
      const e = d.branches[branch];
      if (e) e.state = 'deleting';
    });
    await this.dropDatabase(b.database);
    if (b.sandbox) await this.dropOwnRoles([b.sandbox.owner, b.sandbox.reader]);
    await this.ctx.registry.update((d) => {
      delete d.branches[branch];
    });
  }

  async deleteCheckpoint(tag: string, options: { force?: boolean } = {}): Promise<void> {
    const ckpt = await this.ctx.registry.checkpoint(tag);
    if (ckpt?.backend !== 'local') throw await this.unknownCheckpoint(tag);
    const children = (await this.ctx.registry.listBranches('local')).filter((b) => b.checkpoint === tag);
    if (children.length > 0 && !options.force) {
      throw new ConflictError(
        `checkpoint ${JSON.stringify(tag)} still has branches: ${children.map((b) => b.name).join(', ')}`,
        {
          hint: 'delete those branches first',
        },
      );
    }
    for (const b of children) await this.destroy(b.name);
    await this.ctx.registry.update((d) => {
      const e = d.checkpoints[tag];
      if (e) e.state = 'deleting';
    });
    await this.dropDatabase(ckpt.id);
    await this.dropDatabase(workingDatabaseName(await this.instance(), tag));
    if (ckpt.owner) await this.dropOwnRoles([ckpt.owner]);
    await this.ctx.registry.update((d) => {
      delete d.checkpoints[tag];
    });
  }

  async gc(): Promise<GcReport> {
    const report: GcReport = { removed: [], kept: [], errors: [] };
    const data = await this.ctx.registry.read();
    instancePrefix(data.instance); // a rewritten instance id stops gc before it touches anything
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'EPERM';
      }
    };
    const known = new Set<string>();
    for (const b of Object.values(data.branches).filter((x) => x.backend === 'local')) {
      const orphan = b.state !== 'ready' ? !alive(b.pid) || b.pid === process.pid : !b.keep && !alive(b.pid);
      if (orphan) {
        try {
          await this.destroy(b.name);
          report.removed.push(`branch ${b.name} (${b.database})`);
        } catch (err) {
          report.errors.push(`branch ${b.name}: ${(err as Error).message}`);
        }
      } else {
        known.add(b.database);
        report.kept.push(`branch ${b.name}`);
      }
    }
    for (const c of Object.values(data.checkpoints).filter((x) => x.backend === 'local')) {
      if (c.state !== 'ready' && c.pid !== undefined && c.pid !== process.pid && processAlive(c.pid)) {
        // Another process is making it right now.
        known.add(c.id);
        report.kept.push(`checkpoint ${c.tag} (being created by process ${c.pid})`);
      } else if (c.state !== 'ready') {
        await this.dropDatabase(c.id).catch((err: Error) =>
          report.errors.push(`checkpoint ${c.tag}: ${err.message}`),
        );
        await this.ctx.registry.update((d) => {
          delete d.checkpoints[c.tag];
        });
        report.removed.push(`unfinished checkpoint ${c.tag} (${c.id})`);
      } else {
        known.add(c.id);
        known.add(workingDatabaseName(data.instance, c.tag));
        report.kept.push(`checkpoint ${c.tag}`);
      }
    }
    // Databases with this state directory's prefix that the registry does not know: leftovers of a crash.
    const own = await withClient(this.admin, async (c) =>
      (await c.query<{ datname: string }>(OWN_DATABASES_SQL, [instancePrefix(data.instance)])).rows.map(
        (r) => r.datname,
      ),
    );
    for (const name of own) {
      if (known.has(name)) continue;
      try {
        await this.dropDatabase(name);
        report.removed.push(`unregistered database ${name}`);
      } catch (err) {
        report.errors.push(`${name}: ${(err as Error).message}`);
      }
    }
    await this.gcRoles(report);
    return report;
  }

  /** Roles with this state directory's prefix that no live branch or checkpoint of the registry holds. */
  private async gcRoles(report: GcReport): Promise<void> {
    const data = await this.ctx.registry.read(); // re-read: a branch reserved meanwhile keeps its roles
    const known = new Set<string>();
    for (const b of Object.values(data.branches))
      if (b.sandbox) known.add(b.sandbox.owner).add(b.sandbox.reader);
    for (const c of Object.values(data.checkpoints)) if (c.owner) known.add(c.owner);
    await dropUnknownRoles(this.admin, instancePrefix(data.instance), known, report);
  }

  /** Drop roles this state directory made (its prefix), never any other. */
  private async dropOwnRoles(roles: string[]): Promise<void> {
    const prefix = instancePrefix(await this.instance());
    const foreign = roles.find((r) => !r.startsWith(prefix));
    if (foreign)
      throw new BackendError(`refusing to drop role ${JSON.stringify(foreign)}: vers-db did not create it`);
    await dropRoles(this.admin, roles);
  }

  async verifyCheckpoint(tag: string): Promise<string[]> {
    const ckpt = await this.ctx.registry.checkpoint(tag);
    if (ckpt?.backend !== 'local') return [`checkpoint ${tag} is no longer in the registry`];
    return verifyTemplate(this.admin, ckpt);
  }

  async close(): Promise<void> {}
}

/** The source server: DATABASE_URL when set (non-empty), else the embedded default with its `app` database. */
export async function createLocalBackend(ctx: Context): Promise<LocalBackend> {
  const url = ctx.env.DATABASE_URL?.trim();
  if (url) {
    let source: ClientConfig;
    try {
      source = configFromUrl(url);
    } catch (err) {
      if (err instanceof InvalidInputError) throw new InvalidInputError(`DATABASE_URL: ${err.message}`, err);
      throw new InvalidInputError('DATABASE_URL is not a valid postgres:// URL');
    }
    const backend = new LocalBackend(ctx, source, null);
    await backend.verifyServer();
    return backend;
  }
  const server = await ensureEmbedded(ctx.stateDir, { log: ctx.log });
  const admin = configFromUrl(server.url, 'postgres');
  await withClient(admin, async (c) => {
    const exists = (await c.query(DATABASE_EXISTS_SQL, [EMBEDDED_SOURCE_DATABASE])).rowCount === 1;
    if (!exists) await c.query(`CREATE DATABASE ${quoteIdent(EMBEDDED_SOURCE_DATABASE)}`);
  }).catch((err: unknown) => {
    if ((err as { code?: string }).code === '42P04') return; // created concurrently by another process
    throw err instanceof BackendError || err instanceof DatabaseError ? err : new BackendError(String(err));
  });
  return new LocalBackend(ctx, withDatabase(admin, EMBEDDED_SOURCE_DATABASE), server.state.dataDir);
}
