/**
 * The registry: every checkpoint and branch the tool owns, recorded *before* it is created so
 * that `gc` can always find leftovers, even after a crash. One JSON file, written atomically
 * (temp file + rename) under a file lock, so the CLI and the MCP server can share it.
 */

import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BackendKind, BranchInfo, CheckpointInfo } from '../backends/backend.js';
import type { EngineName } from '../engines/engine.js';
import { BackendError, ConflictError } from '../errors.js';
import { addSecret } from '../util/secrets.js';
import { writeFileAtomic } from './atomic-write.js';
import { SHORT_SECTION, withFileLock } from './file-lock.js';
import { ensureStateDir, STATE_FILE_MODE, secureExistingStateDir } from './paths.js';

export type EntryState = 'creating' | 'ready' | 'deleting';

export interface CheckpointEntry extends CheckpointInfo {
  state: EntryState;
  /** The database engine it was taken on (absent: PostgreSQL, as every record before engines were). */
  engine?: EngineName;
  /** Who made it ("vers-db checkpoint", "vers-db run", "vers-db demo", …); missing = the user. */
  createdBy?: string;
  /** The process creating it: gc and crash recovery leave a 'creating' checkpoint of a live process alone. */
  pid?: number;
  /** Local: the NOLOGIN role that owns the checkpoint's objects (sandboxed checkpoints only). */
  owner?: string;
  /** Local: objects a superuser owned in the source, re-owned to `owner` in the checkpoint. */
  reowned?: { type: string; object: string; from: string }[];
  /** Local: per-table checksums of the checkpoint when it was made; checked after every run. */
  checksums?: Record<string, string>;
  /** Local: exact row counts taken with the checksums (a fresh branch has these; valid while the checksums hold). */
  rowCounts?: Record<string, number>;
  /** Set when a run found the checkpoint gone or changed: it is no longer offered as a baseline. */
  damaged?: string;
  /** Vers: the VM that holds the source database for this checkpoint's lineage. */
  vm?: string;
  /** Local MySQL: how the checkpoint's copy was made (the source's clean stop, the copy, the restart). */
  copy?: { stopMs: number; copyMs: number; restartMs: number; files: number; bytes: number };
  /** A user's MySQL server: the logical copy (every row read and written again) and its cost. */
  logicalCopy?: { tables: number; rows: number; bytes: number; copyMs: number; notes?: string[] };
}

export interface BranchEntry extends BranchInfo {
  state: EntryState;
  /** The database engine of its checkpoint (absent: PostgreSQL). */
  engine?: EngineName;
  /** Who made it: "cli test", "mcp db_migration_test", "suite migrations", … */
  createdBy: string;
  pid: number;
  /** Kept on purpose (--keep-branch); gc removes unkept branches whose creator is gone. */
  keep: boolean;
  /** Local: the branch's own roles (absent when the server user is no superuser: no sandbox then). */
  sandbox?: SandboxRoles;
}

export interface SandboxRoles {
  /** Owns the branch database and its objects; migrations and validations log in as it. */
  owner: string;
  ownerPassword: string;
  /** May only connect to the branch and read it; comparison queries log in as it. */
  reader: string;
  readerPassword: string;
}

/** A database a command of vers-db created for its own use (a suite's source, the demo's). */
export interface SourceRecord {
  createdBy: string;
  createdAt: string;
  /** The objects its setup made (pg_identify_object identities): anything else is the user's. */
  objects: string[];
  /** Made, still being filled: an interrupted load leaves it here, and it is still the command's own. */
  loading?: boolean;
}

/** A VM the vers backend created (base VM, branch VM, rollback VM). */
export interface VmEntry {
  id: string | null;
  role: 'base' | 'branch' | 'working';
  label: string;
  state: EntryState;
  createdAt: string;
  /** The commit it was made from; null for a root VM (`vers run`). Lets gc find it while id is null. */
  from?: string | null;
  /** One vers call can create several VMs (`branch --count N`): they share a group. */
  group?: string;
  /** The process that asked for it: gc leaves 'creating' entries of live processes alone. */
  pid?: number;
}

export interface RegistryData {
  version: 1;
  /** Random id of this state directory; prefixes every database it creates (see names.ts). */
  instance: string;
  checkpoints: Record<string, CheckpointEntry>;
  branches: Record<string, BranchEntry>;
  vms: Record<string, VmEntry>;
  /** Backend-specific settings such as the vers base VM. */
  settings: Record<string, string>;
  /** Databases created by `vers-db run` / `vers-db demo`, by name: they may rebuild only these. */
  sources?: Record<string, SourceRecord>;
}

const EMPTY: Omit<RegistryData, 'instance'> = {
  version: 1,
  checkpoints: {},
  branches: {},
  vms: {},
  settings: {},
};

const newInstance = (): string => randomBytes(3).toString('hex');

/** The passwords the registry holds (branch roles, the Vers VM) are kept out of every output. */
function registerSecrets(data: Partial<RegistryData>): void {
  for (const b of Object.values(data.branches ?? {})) {
    addSecret(b.sandbox?.ownerPassword);
    addSecret(b.sandbox?.readerPassword);
  }
  for (const [key, value] of Object.entries(data.settings ?? {}))
    if (/password|secret|token|key$/i.test(key)) addSecret(value);
}

export class Registry {
  readonly file: string;

  constructor(readonly dir: string) {
    this.file = join(dir, 'registry.json');
  }

  async read(): Promise<RegistryData> {
    try {
      const parsed = JSON.parse(await readFile(this.file, 'utf8')) as Partial<RegistryData>;
      await secureExistingStateDir(this.dir);
      registerSecrets(parsed);
      return { ...structuredClone(EMPTY), instance: newInstance(), ...parsed };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        return { ...structuredClone(EMPTY), instance: newInstance() };
      throw new BackendError(`cannot read the registry ${this.file}: ${(err as Error).message}`, {
        hint: 'move the file away and run `vers-db gc` to rebuild what it can',
        cause: err,
      });
    }
  }

  /** Read-modify-write under the lock. The callback's return value is passed through. */
  async update<T>(mutate: (data: RegistryData) => T | Promise<T>): Promise<T> {
    await ensureStateDir(this.dir);
    return withFileLock(this.dir, 'registry.lock', SHORT_SECTION, async () => {
      const data = await this.read();
      const out = await mutate(data);
      await writeFileAtomic(this.file, `${JSON.stringify(data, null, 2)}\n`, STATE_FILE_MODE);
      return out;
    });
  }

  /** This state directory's instance id, fixed on first use. */
  async instance(): Promise<string> {
    const current = await this.read();
    if (await this.exists()) return current.instance;
    return this.update((d) => d.instance);
  }

  private async exists(): Promise<boolean> {
    try {
      await readFile(this.file);
      return true;
    } catch {
      return false;
    }
  }

  /** Record branches about to be created, all or none: a taken name is a ConflictError. */
  async reserveBranches(entries: readonly BranchEntry[]): Promise<void> {
    await this.update((d) => {
      for (const b of entries) {
        if (d.branches[b.name]) throw new ConflictError(`branch ${JSON.stringify(b.name)} already exists`);
      }
      for (const b of entries) d.branches[b.name] = b;
    });
  }

  async checkpoint(tag: string): Promise<CheckpointEntry | undefined> {
    return (await this.read()).checkpoints[tag];
  }

  async branch(name: string): Promise<BranchEntry | undefined> {
    return (await this.read()).branches[name];
  }

  async listCheckpoints(backend?: BackendKind): Promise<CheckpointEntry[]> {
    const all = Object.values((await this.read()).checkpoints);
    return backend ? all.filter((c) => c.backend === backend) : all;
  }

  async listBranches(backend?: BackendKind): Promise<BranchEntry[]> {
    const all = Object.values((await this.read()).branches);
    return backend ? all.filter((b) => b.backend === backend) : all;
  }
}
