/**
 * The vers backend: the source is a base VM with PostgreSQL (see vers-provision.ts), a
 * checkpoint is a vers commit plus a tag, a branch is a VM made from that commit, and the
 * collector reaches a branch's PostgreSQL through `vers tunnel`. Every VM is written to the
 * registry before it is asked for, so gc can find it even when vers-db dies in between.
 */

import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pLimit, { type LimitFunction } from 'p-limit';
import type { Context } from '../core/context.js';
import {
  CancelledError,
  ConflictError,
  InvalidInputError,
  NotFoundError,
  throwIfAborted,
} from '../errors.js';
import { recordChild } from '../state/children.js';
import { validateName } from '../state/names.js';
import type { BranchEntry, RegistryData, VmEntry } from '../state/registry.js';
import { type ClientConfig, connect, displayUrl } from '../util/pg.js';
import { shQuote, VersClient, VersConflictError, VersNotFoundError, type VersTunnel } from '../vers/index.js';
import type {
  Backend,
  BranchConnection,
  BranchInfo,
  BranchOptions,
  CheckpointInfo,
  ExecOptions,
  ExecResult,
  GcReport,
  RollbackResult,
} from './backend.js';
import { freePort } from './embedded.js';

/** Registry settings keys the vers backend owns. */
export const VERS_SETTINGS = {
  baseVm: 'vers.baseVm',
  password: 'vers.pgPassword',
  database: 'vers.database',
  pgVersion: 'vers.pgVersion',
  /** + tag: the working VM the last rollback of that checkpoint made. */
  workingPrefix: 'vers.working.',
} as const;

/** PostgreSQL listens here inside a VM; tunnels forward to it. */
export const VM_PG_PORT = 5432;
const DEFAULT_EXEC_TIMEOUT_MS = 3_600_000;
/** A VM created by someone else up to this long before our request is not ours (clock skew margin). */
const CREATION_WINDOW_MS = 120_000;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const newGroup = () => randomBytes(4).toString('hex');

function processAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `export` lines for the PG environment: the VM's own PGHOST/PGPORT win (the fake sets them). */
export function pgEnvScript(database: string, password: string, extra: Record<string, string> = {}): string {
  const lines = [
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash parameter expansion, not a JS template
    'export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}"',
    `export PGUSER=postgres PGPASSWORD=${shQuote(password)} PGDATABASE=${shQuote(database)}`,
    `export DATABASE_URL="postgres://postgres:$PGPASSWORD@$PGHOST:$PGPORT/"${shQuote(encodeURIComponent(database))}`,
  ];
  for (const [name, value] of Object.entries(extra)) {
    if (!ENV_NAME.test(name))
      throw new InvalidInputError(`invalid environment variable name ${JSON.stringify(name)}`);
    lines.push(`export ${name}=${shQuote(value)}`);
  }
  return lines.join('\n');
}

export class VersBackend implements Backend {
  readonly kind = 'vers' as const;
  private readonly tunnels = new Set<VersTunnel>();
  /** Fan-out limit for vers processes (tunnels excluded: they live as long as a connection). */
  private readonly limit: LimitFunction;

  constructor(
    readonly ctx: Context,
    readonly client: VersClient,
  ) {
    const n = Number(ctx.env.VERS_DB_VERS_CONCURRENCY ?? 8);
    this.limit = pLimit(Number.isInteger(n) && n > 0 ? n : 8);
  }

  private v<T>(fn: () => Promise<T>): Promise<T> {
    return this.limit(fn);
  }

  // ---- settings ----

  private async settings(): Promise<RegistryData['settings']> {
    return (await this.ctx.registry.read()).settings;
  }

  private async base(): Promise<{ vm: string; database: string; password: string }> {
    const s = await this.settings();
    const vm = s[VERS_SETTINGS.baseVm];
    const password = s[VERS_SETTINGS.password];
    if (!vm || !password) {
      throw new InvalidInputError('no Vers base VM is set up for this project', {
        hint: 'run `vers-db up --backend vers` to create a VM with PostgreSQL, load your data into it, then checkpoint',
      });
    }
    return { vm, password, database: s[VERS_SETTINGS.database] ?? 'postgres' };
  }

  private async password(): Promise<string> {
    return (await this.base()).password;
  }

  // ---- VM bookkeeping ----

  /** Write the VMs we are about to ask for (state 'creating', id unknown) before asking. */
  async planVms(role: VmEntry['role'], labels: readonly string[], from: string | null): Promise<string[]> {
    const group = newGroup();
    const createdAt = new Date().toISOString();
    const keys = labels.map((_, i) => `${role}-${group}-${i}`);
    await this.ctx.registry.update((d) => {
      labels.forEach((label, i) => {
        d.vms[keys[i]!] = {
          id: null,
          role,
          label,
          state: 'creating',
          createdAt,
          from,
          group,
          pid: process.pid,
        };
      });
    });
    return keys;
  }

  async markVms(keys: readonly string[], ids: readonly string[]): Promise<void> {
    await this.ctx.registry.update((d) => {
      keys.forEach((k, i) => {
        const e = d.vms[k];
        if (e) Object.assign(e, { id: ids[i], state: 'ready' });
      });
    });
  }

  /**
   * VMs our failed or interrupted call may have created: not in the registry, made from the same
   * commit (or root VMs), no older than the request. Root VMs are only claimed when unambiguous.
   */
  private async unrecordedVms(
    entries: readonly VmEntry[],
    data: RegistryData,
  ): Promise<{ ids: string[]; ambiguous: boolean }> {
    if (entries.length === 0) return { ids: [], ambiguous: false };
    const known = new Set(Object.values(data.vms).flatMap((v) => (v.id ? [v.id] : [])));
    const since = Math.min(...entries.map((e) => Date.parse(e.createdAt))) - CREATION_WINDOW_MS;
    const from = entries[0]!.from ?? null;
    const all = await this.v(() => this.client.status({ timeoutMs: 30_000 }));
    const recent = all.filter(
      (vm) => !known.has(vm.vm_id) && (!vm.created_at || Date.parse(vm.created_at) >= since),
    );
    const infos = await Promise.all(
      recent.map((vm) => this.v(() => this.client.info(vm.vm_id, { timeoutMs: 30_000 })).catch(() => null)),
    );
    const matching = infos
      .filter((i) => i !== null && (i.parent_commit_id || null) === from)
      .map((i) => i!.vm_id);
    if (from === null && matching.length > entries.length) return { ids: [], ambiguous: true };
    return { ids: matching.slice(0, entries.length), ambiguous: false };
  }

  /** Delete VMs, treating "already gone" as done. */
  private async deleteVms(ids: readonly string[]): Promise<void> {
    await Promise.all(
      ids.map((id) =>
        this.v(() => this.client.delete([id], { timeoutMs: 90_000 })).catch((err: unknown) => {
          if (!(err instanceof VersNotFoundError)) throw err;
        }),
      ),
    );
  }

  /** Undo a create that failed or was cancelled: delete what it made, forget the entries. */
  private async reap(keys: readonly string[]): Promise<string[]> {
    const data = await this.ctx.registry.read();
    const entries = keys.map((k) => data.vms[k]).filter((e): e is VmEntry => e !== undefined);
    const ids = entries.flatMap((e) => (e.id ? [e.id] : []));
    const pending = entries.filter((e) => !e.id);
    const found = await this.unrecordedVms(pending, data);
    await this.deleteVms([...ids, ...found.ids]);
    await this.ctx.registry.update((d) => {
      for (const k of keys) delete d.vms[k];
    });
    return [...ids, ...found.ids];
  }

  /** Run `create`; on any failure (cancellation included) reap what it planned, then rethrow. */
  async creating<T>(keys: readonly string[], create: () => Promise<T>): Promise<T> {
    try {
      return await create();
    } catch (err) {
      await this.reap(keys).catch((cleanup: Error) =>
        this.ctx.log(
          `could not remove the VMs of a failed vers call (${cleanup.message}); \`vers-db gc\` will retry`,
        ),
      );
      throw err;
    }
  }

  // ---- checkpoints ----

  async checkpoint(
    tag: string,
    options: { database?: string; signal?: AbortSignal } = {},
  ): Promise<CheckpointInfo> {
    validateName('checkpoint tag', tag);
    const base = await this.base();
    const info: CheckpointInfo = {
      tag,
      backend: 'vers',
      id: '',
      source: base.vm,
      database: options.database || base.database,
      createdAt: new Date().toISOString(),
      strategy: 'vers commit',
      durationMs: 0,
    };
    await this.ctx.registry.update((d) => {
      if (d.checkpoints[tag]) throw new ConflictError(`checkpoint ${JSON.stringify(tag)} already exists`);
      d.checkpoints[tag] = { ...info, state: 'creating', vm: base.vm, pid: process.pid };
    });
    const start = performance.now();
    let commitId: string | null = null;
    try {
      commitId = (await this.v(() => this.client.commitCreate(base.vm, { signal: options.signal }))).commitId;
      const id = commitId;
      await this.ctx.registry.update((d) => {
        const e = d.checkpoints[tag];
        if (e) e.id = id;
      });
      await this.v(() =>
        this.client.tagCreate(tag, id, { signal: options.signal, description: 'vers-db checkpoint' }),
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
      const status = await this.v(() => this.client.vmStatus(base.vm, { signal: options.signal }));
      if (status.state.toLowerCase() === 'paused')
        await this.v(() => this.client.resume(base.vm, { signal: options.signal }));
    } catch (err) {
      await this.forgetCheckpoint(tag, commitId);
      throw err;
    }
    const done = { ...info, id: commitId, durationMs: Math.round(performance.now() - start) };
    await this.ctx.registry.update((d) => {
      d.checkpoints[tag] = { ...done, state: 'ready', vm: base.vm };
    });
    return done;
  }

  /** Remove a checkpoint's tag (only if it still points at our commit) and try to delete the commit. */
  private async forgetCheckpoint(tag: string, commitId: string | null): Promise<void> {
    try {
      if (commitId) {
        const t = await this.v(() => this.client.tagGet(tag, { timeoutMs: 30_000 })).catch(() => null);
        if (t?.commit_id === commitId) await this.v(() => this.client.tagDelete(tag, { timeoutMs: 30_000 }));
        // A commit with VMs made from it cannot be deleted; it then stays as harmless storage.
        await this.v(() => this.client.commitDelete(commitId, { timeoutMs: 60_000 })).catch((err: Error) =>
          this.ctx.log(`kept vers commit ${commitId}: ${err.message}`),
        );
      }
      await this.ctx.registry.update((d) => {
        delete d.checkpoints[tag];
        delete d.settings[VERS_SETTINGS.workingPrefix + tag];
      });
    } catch (err) {
      this.ctx.log(
        `could not clean up checkpoint ${tag} (${(err as Error).message}); \`vers-db gc\` will retry`,
      );
    }
  }

  private async readyCheckpoint(tag: string) {
    const c = await this.ctx.registry.checkpoint(tag);
    if (c?.backend !== 'vers' || c.state !== 'ready') {
      const known = (await this.ctx.registry.listCheckpoints('vers'))
        .filter((x) => x.state === 'ready')
        .map((x) => x.tag);
      throw new NotFoundError(`no vers checkpoint named ${JSON.stringify(tag)}`, {
        hint: known.length
          ? `known checkpoints: ${known.join(', ')}`
          : 'create one with `vers-db checkpoint <tag> --backend vers`',
      });
    }
    return c;
  }

  // ---- branches ----

  async branch(
    checkpoint: string,
    names: readonly string[],
    options: BranchOptions = {},
  ): Promise<BranchInfo[]> {
    for (const n of names) validateName('branch name', n);
    if (new Set(names).size !== names.length) throw new InvalidInputError('branch names must be unique');
    if (names.length === 0) return [];
    const ckpt = await this.readyCheckpoint(checkpoint);
    throwIfAborted(options.signal);
    const createdAt = new Date().toISOString();
    const planned: BranchEntry[] = names.map((name) => ({
      name,
      backend: 'vers',
      checkpoint,
      id: '',
      database: ckpt.database,
      createdAt,
      durationMs: 0,
      strategy: 'vers branch',
      state: 'creating',
      createdBy: options.createdBy ?? 'vers-db',
      pid: process.pid,
      keep: options.keep ?? false,
    }));
    await this.ctx.registry.reserveBranches(planned);
    let keys: string[] = [];
    try {
      keys = await this.planVms('branch', names, ckpt.id);
      const start = performance.now();
      // One vers call for all of them: the API boots them side by side.
      const { newIds } = await this.creating(keys, () =>
        this.v(() =>
          this.client.branch(ckpt.id, names.length, { signal: options.signal, timeoutMs: 300_000 }),
        ),
      );
      const durationMs = Math.round(performance.now() - start);
      await this.markVms(keys, newIds);
      await this.ctx.registry.update((d) => {
        names.forEach((n, i) => {
          const e = d.branches[n];
          if (e) Object.assign(e, { id: newIds[i], state: 'ready', durationMs });
        });
      });
      return planned.map((b, i) => ({
        name: b.name,
        backend: 'vers' as const,
        checkpoint,
        id: newIds[i]!,
        database: b.database,
        createdAt,
        durationMs,
        strategy: b.strategy,
      }));
    } catch (err) {
      await this.ctx.registry.update((d) => {
        for (const n of names) delete d.branches[n];
      });
      throw err;
    }
  }

  private async branchVm(name: string): Promise<{ vm: string; database: string }> {
    const b = await this.ctx.registry.branch(name);
    if (b?.backend !== 'vers' || b.state !== 'ready' || !b.id) {
      throw new NotFoundError(`no vers branch named ${JSON.stringify(name)}`, {
        hint: 'list them with `vers-db branches`',
      });
    }
    return { vm: b.id, database: b.database };
  }

  // ---- connections and commands ----

  async connect(branch: string): Promise<BranchConnection> {
    const b = await this.branchVm(branch);
    return this.connectVm(b.vm, b.database);
  }

  async connectSource(): Promise<BranchConnection> {
    const base = await this.base();
    return this.connectVm(base.vm, base.database);
  }

  /** A tunnel to the VM's PostgreSQL, returned once a login through it works. */
  async connectVm(
    vm: string,
    database: string,
    options: { signal?: AbortSignal; password?: string } = {},
  ): Promise<BranchConnection> {
    const password = options.password ?? (await this.password());
    let tunnel: VersTunnel | undefined;
    for (let attempt = 0; !tunnel; attempt++) {
      const port = await freePort();
      try {
        tunnel = await this.client.tunnel(vm, port, VM_PG_PORT, { signal: options.signal });
      } catch (err) {
        // Another process may have taken the port between our probe and vers's listen.
        if (attempt >= 1 || err instanceof CancelledError || err instanceof VersNotFoundError) throw err;
      }
    }
    const t = tunnel;
    this.tunnels.add(t);
    const forget =
      t.pid === undefined
        ? async () => {}
        : await recordChild(this.ctx.stateDir, t.pid, 'vers tunnel').catch(() => async () => {});
    void t.closed.then((why) => {
      void forget();
      this.tunnels.delete(t);
      if (why) this.ctx.log(`the tunnel to VM ${vm} dropped: ${why.message}`);
    });
    const config: ClientConfig = { host: '127.0.0.1', port: t.port, user: 'postgres', password, database };
    try {
      // A tunnel that dies while we wait (dead VM) ends the wait with its reason.
      const died = t.closed.then((why) => {
        throw why ?? new Error(`the tunnel to VM ${vm} closed`);
      });
      died.catch(() => undefined);
      await Promise.race([waitForLogin(config, 30_000, options.signal), died]);
    } catch (err) {
      await t.close();
      throw err;
    }
    return {
      config,
      displayUrl: `${displayUrl(config)} (vers tunnel to VM ${vm})`,
      close: () => t.close(),
    };
  }

  async exec(branch: string, command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const b = await this.branchVm(branch);
    return this.execVm(b.vm, b.database, command, options);
  }

  async execSource(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const base = await this.base();
    return this.execVm(base.vm, base.database, command, options);
  }

  /** `command` runs in bash in the VM with the branch's database in PG* and DATABASE_URL. */
  async execVm(
    vm: string,
    database: string,
    command: string,
    options: ExecOptions = {},
  ): Promise<ExecResult> {
    const script = `${pgEnvScript(database, await this.password(), options.env)}\n${command}`;
    const r = await this.v(() =>
      this.client.exec(vm, script, {
        timeoutMs: options.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS,
        signal: options.signal,
        stdin: options.stdin,
        workdir: options.cwd,
      }),
    );
    // Like the local backend (execa's default): one final newline is not part of the output.
    return { ...r, stdout: stripFinalNewline(r.stdout), stderr: stripFinalNewline(r.stderr) };
  }

  /** Put a file into a VM (`exec -i … cat > path`); the path is quoted, never interpolated. */
  async upload(
    vm: string,
    remotePath: string,
    content: string | Buffer,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    const dir = remotePath.includes('/') ? remotePath.slice(0, remotePath.lastIndexOf('/')) || '/' : '.';
    const script = `mkdir -p ${shQuote(dir)} && cat > ${shQuote(remotePath)}`;
    const r = await this.v(() =>
      this.client.exec(vm, script, { timeoutMs: 300_000, stdin: content, signal: options.signal }),
    );
    if (r.exitCode !== 0) {
      throw new InvalidInputError(
        `could not write ${remotePath} in VM ${vm}: ${r.stderr.trim() || `exit ${r.exitCode}`}`,
      );
    }
  }

  // ---- rollback, destroy, gc ----

  async rollback(tag: string, options: { signal?: AbortSignal } = {}): Promise<RollbackResult> {
    const ckpt = await this.readyCheckpoint(tag);
    const keys = await this.planVms('working', [tag], ckpt.id);
    const { vmId } = await this.creating(keys, () =>
      this.v(() => this.client.runCommit(ckpt.id, { signal: options.signal })),
    );
    await this.markVms(keys, [vmId]);
    const setting = VERS_SETTINGS.workingPrefix + tag;
    const previous = (await this.settings())[setting] ?? null;
    await this.ctx.registry.update((d) => {
      d.settings[setting] = vmId;
    });
    if (previous) {
      await this.deleteVms([previous]);
      await this.ctx.registry.update((d) => {
        for (const [k, e] of Object.entries(d.vms)) if (e.id === previous) delete d.vms[k];
      });
    }
    return { tag, target: vmId, removed: previous };
  }

  async destroy(branch: string): Promise<void> {
    const b = await this.ctx.registry.branch(branch);
    if (b?.backend !== 'vers') return;
    await this.ctx.registry.update((d) => {
      const e = d.branches[branch];
      if (e) e.state = 'deleting';
    });
    if (b.id) await this.deleteVms([b.id]);
    await this.ctx.registry.update((d) => {
      delete d.branches[branch];
      for (const [k, e] of Object.entries(d.vms)) if (b.id && e.id === b.id) delete d.vms[k];
    });
  }

  async deleteCheckpoint(tag: string, options: { force?: boolean } = {}): Promise<void> {
    const ckpt = await this.ctx.registry.checkpoint(tag);
    if (ckpt?.backend !== 'vers') throw new NotFoundError(`no vers checkpoint named ${JSON.stringify(tag)}`);
    const children = (await this.ctx.registry.listBranches('vers')).filter((b) => b.checkpoint === tag);
    if (children.length > 0 && !options.force) {
      throw new ConflictError(
        `checkpoint ${JSON.stringify(tag)} still has branches: ${children.map((b) => b.name).join(', ')}`,
        {
          hint: 'delete those branches first',
        },
      );
    }
    await Promise.all(children.map((b) => this.destroy(b.name)));
    const working = (await this.settings())[VERS_SETTINGS.workingPrefix + tag];
    if (working) {
      await this.deleteVms([working]);
      await this.ctx.registry.update((d) => {
        for (const [k, e] of Object.entries(d.vms)) if (e.id === working) delete d.vms[k];
      });
    }
    await this.forgetCheckpoint(tag, ckpt.id || null);
  }

  async gc(): Promise<GcReport> {
    const report: GcReport = { removed: [], kept: [], errors: [] };
    let data = await this.ctx.registry.read();
    const stale = (state: string, pid: number | undefined, keep = false) =>
      state !== 'ready' ? !processAlive(pid) || pid === process.pid : !keep && !processAlive(pid);
    for (const b of Object.values(data.branches).filter((x) => x.backend === 'vers')) {
      if (!stale(b.state, b.pid, b.keep)) {
        report.kept.push(`branch ${b.name}`);
        continue;
      }
      try {
        await this.destroy(b.name);
        report.removed.push(`branch ${b.name}${b.id ? ` (VM ${b.id})` : ''}`);
      } catch (err) {
        report.errors.push(`branch ${b.name}: ${(err as Error).message}`);
      }
    }
    for (const c of Object.values(data.checkpoints).filter((x) => x.backend === 'vers')) {
      if (c.state === 'ready') {
        report.kept.push(`checkpoint ${c.tag}`);
        continue;
      }
      if (c.pid !== undefined && !stale(c.state, c.pid)) {
        report.kept.push(`checkpoint ${c.tag} (being created by pid ${c.pid})`);
        continue;
      }
      await this.forgetCheckpoint(c.tag, c.id || null);
      report.removed.push(`unfinished checkpoint ${c.tag}${c.id ? ` (commit ${c.id})` : ''}`);
    }
    // VMs the registry holds that nothing needs: unfinished creations and branch VMs whose branch is gone.
    data = await this.ctx.registry.read();
    const needed = new Set<string>(
      [
        data.settings[VERS_SETTINGS.baseVm],
        ...Object.entries(data.settings)
          .filter(([k]) => k.startsWith(VERS_SETTINGS.workingPrefix))
          .map(([, v]) => v),
        ...Object.values(data.branches).map((b) => b.id),
      ].filter((x): x is string => Boolean(x)),
    );
    const groups = new Map<string, [string, VmEntry][]>();
    for (const [key, e] of Object.entries(data.vms)) {
      if (e.id && needed.has(e.id) && e.state === 'ready') {
        report.kept.push(`${e.role} VM ${e.id}`);
        continue;
      }
      if (e.state === 'creating' && !stale(e.state, e.pid)) {
        report.kept.push(`${e.role} VM for ${e.label} (being created by pid ${e.pid})`);
        continue;
      }
      const g = e.group ?? key;
      groups.set(g, [...(groups.get(g) ?? []), [key, e]]);
    }
    for (const members of groups.values()) {
      try {
        const ids = members.flatMap(([, e]) => (e.id ? [e.id] : []));
        const found = await this.unrecordedVms(
          members.filter(([, e]) => !e.id).map(([, e]) => e),
          data,
        );
        if (found.ambiguous) {
          report.errors.push(
            `could not tell which new VM belongs to ${members[0]![1].label}: check \`vers status\` by hand`,
          );
        }
        await this.deleteVms([...ids, ...found.ids]);
        await this.ctx.registry.update((d) => {
          for (const [k] of members) delete d.vms[k];
        });
        for (const id of [...ids, ...found.ids])
          report.removed.push(`VM ${id} (${members[0]![1].role} ${members[0]![1].label})`);
        if (ids.length + found.ids.length === 0)
          report.removed.push(`registry entry for ${members[0]![1].label} (no VM was made)`);
      } catch (err) {
        report.errors.push(`VMs for ${members[0]![1].label}: ${(err as Error).message}`);
      }
    }
    return report;
  }

  async close(): Promise<void> {
    await Promise.all([...this.tunnels].map((t) => t.close()));
    this.tunnels.clear();
  }
}

const stripFinalNewline = (s: string): string => s.replace(/\r?\n$/, '');

/** PostgreSQL behind a fresh tunnel (or in a just-booted VM) may need a moment. */
async function waitForLogin(config: ClientConfig, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    throwIfAborted(signal);
    try {
      const c = await connect({ ...config, connectionTimeoutMillis: 5000 }, 'vers-db:probe');
      await c.end();
      return;
    } catch (err) {
      const code = (err as { code?: string }).code;
      // Wrong password or database: waiting will not help.
      if (code === '28P01' || code === '28000' || code === '3D000' || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

export function createVersClient(ctx: Context, secrets: string[] = []): VersClient {
  return new VersClient({
    env: ctx.env,
    cwd: ctx.cwd,
    log: ctx.log,
    debug: Boolean(ctx.env.VERS_DB_DEBUG),
    secrets,
  });
}

/** The backend for `--backend vers`: checks the vers CLI (present, v0.9.0+) before anything else. */
export async function createVersBackend(ctx: Context): Promise<VersBackend> {
  const password = (await ctx.registry.read()).settings[VERS_SETTINGS.password];
  const client = createVersClient(ctx, password ? [password] : []);
  await client.ensureSupported();
  return new VersBackend(ctx, client);
}
