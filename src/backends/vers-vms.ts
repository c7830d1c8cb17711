/**
 * The VMs the vers backend creates (base, branch and rollback VMs), each written to the
 * registry's `vms` before it is asked for, so a crash between the request and its answer still
 * leaves something gc can find: VMs without a recorded id are found again by the commit they
 * were made from and their creation time.
 */
import { randomBytes } from 'node:crypto';
import type { LimitFunction } from 'p-limit';
import type { RegistryData, VmEntry } from '../state/registry.js';
import { type VersClient, VersNotFoundError } from '../vers/index.js';
import type { GcReport } from './backend.js';
import type { BackendDeps } from './deps.js';
import { isOrphan } from './orphans.js';

/** A VM created by someone else up to this long before our request is not ours (clock skew margin). */
const CREATION_WINDOW_MS = 120_000;
const newGroup = () => randomBytes(4).toString('hex');

export class VersVms {
  constructor(
    private readonly deps: BackendDeps,
    private readonly client: VersClient,
    /** Fan-out limit for vers processes. */
    readonly v: LimitFunction,
  ) {}

  /** Write the VMs we are about to ask for (state 'creating', id unknown) before asking. */
  async plan(role: VmEntry['role'], labels: readonly string[], from: string | null): Promise<string[]> {
    const group = newGroup();
    const createdAt = new Date().toISOString();
    const keys = labels.map((_, i) => `${role}-${group}-${i}`);
    await this.deps.registry.update((d) => {
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

  async mark(keys: readonly string[], ids: readonly string[]): Promise<void> {
    await this.deps.registry.update((d) => {
      keys.forEach((k, i) => {
        const e = d.vms[k];
        if (e) Object.assign(e, { id: ids[i], state: 'ready' });
      });
    });
  }

  /** Run `create`; on any failure (cancellation included) reap what it planned, then rethrow. */
  async creating<T>(keys: readonly string[], create: () => Promise<T>): Promise<T> {
    try {
      return await create();
    } catch (err) {
      await this.reap(keys).catch((cleanup: Error) =>
        this.deps.log(
          `could not remove the VMs of a failed vers call (${cleanup.message}); \`vers-db gc\` will retry`,
        ),
      );
      throw err;
    }
  }

  /** Plan, create, mark: one recorded VM per id `create` returns. */
  async record(
    role: VmEntry['role'],
    labels: readonly string[],
    from: string | null,
    create: () => Promise<readonly string[]>,
  ): Promise<string[]> {
    const keys = await this.plan(role, labels, from);
    const ids = await this.creating(keys, create);
    await this.mark(keys, ids);
    return [...ids];
  }

  /** Delete VMs, treating "already gone" as done. */
  async delete(ids: readonly string[]): Promise<void> {
    await Promise.all(
      ids.map((id) =>
        this.v(() => this.client.delete([id], { timeoutMs: 90_000 })).catch((err: unknown) => {
          if (!(err instanceof VersNotFoundError)) throw err;
        }),
      ),
    );
  }

  /** Delete VMs and forget their entries. */
  async remove(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.delete(ids);
    await this.forget(ids);
  }

  async forget(ids: readonly string[]): Promise<void> {
    await this.deps.registry.update((d) => {
      for (const [k, e] of Object.entries(d.vms)) if (e.id && ids.includes(e.id)) delete d.vms[k];
    });
  }

  /**
   * VMs our failed or interrupted call may have created: not in the registry, made from the same
   * commit (or root VMs), no older than the request. Root VMs are only claimed when unambiguous.
   */
  private async unrecorded(
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

  /** Undo a create that failed or was cancelled: delete what it made, forget the entries. */
  private async reap(keys: readonly string[]): Promise<string[]> {
    const data = await this.deps.registry.read();
    const entries = keys.map((k) => data.vms[k]).filter((e): e is VmEntry => e !== undefined);
    const ids = entries.flatMap((e) => (e.id ? [e.id] : []));
    const found = await this.unrecorded(
      entries.filter((e) => !e.id),
      data,
    );
    await this.delete([...ids, ...found.ids]);
    await this.deps.registry.update((d) => {
      for (const k of keys) delete d.vms[k];
    });
    return [...ids, ...found.ids];
  }

  /** VMs the registry holds that nothing needs: unfinished creations and branch VMs whose branch is gone. */
  async sweep(report: GcReport, needed: ReadonlySet<string>): Promise<void> {
    const data = await this.deps.registry.read();
    const groups = new Map<string, [string, VmEntry][]>();
    for (const [key, e] of Object.entries(data.vms)) {
      if (e.id && needed.has(e.id) && e.state === 'ready') {
        report.kept.push(`${e.role} VM ${e.id}`);
        continue;
      }
      if (e.state === 'creating' && !isOrphan(e)) {
        report.kept.push(`${e.role} VM for ${e.label} (being created by pid ${e.pid})`);
        continue;
      }
      const g = e.group ?? key;
      groups.set(g, [...(groups.get(g) ?? []), [key, e]]);
    }
    for (const members of groups.values()) {
      const first = members[0]![1];
      try {
        const ids = members.flatMap(([, e]) => (e.id ? [e.id] : []));
        const found = await this.unrecorded(
          members.filter(([, e]) => !e.id).map(([, e]) => e),
          data,
        );
        if (found.ambiguous) {
          report.errors.push(
            `could not tell which new VM belongs to ${first.label}: check \`vers status\` by hand`,
          );
        }
        await this.delete([...ids, ...found.ids]);
        await this.deps.registry.update((d) => {
          for (const [k] of members) delete d.vms[k];
        });
        for (const id of [...ids, ...found.ids])
          report.removed.push(`VM ${id} (${first.role} ${first.label})`);
        if (ids.length + found.ids.length === 0)
          report.removed.push(`registry entry for ${first.label} (no VM was made)`);
      } catch (err) {
        report.errors.push(`VMs for ${first.label}: ${(err as Error).message}`);
      }
    }
  }
}
