/**
 * A storage driver: the few operations that differ between backends, under the managed layer
 * (managed.ts) that implements the Backend contract once. A driver copies, removes and lists
 * what holds checkpoints and branches (template databases on one server, VMs, and later server
 * processes with their own data directory and port); it never edits the registry's checkpoint
 * or branch records: the managed layer reserves, marks ready and forgets them.
 */
import type { EngineName } from '../engines/engine.js';
import type { BranchEntry, CheckpointEntry } from '../state/registry.js';
import type { ClientConfig } from '../util/pg.js';
import type {
  BackendCapabilities,
  BackendKind,
  BranchConnection,
  BranchRole,
  ExecOptions,
  ExecResult,
  GcReport,
  RollbackResult,
  SourceDatabase,
} from './backend.js';

/** What a checkpoint will be, recorded (state 'creating') before it is made. */
export interface CheckpointPlan {
  /** Known up front (local: the template database) or '' until the driver reports it. */
  id: string;
  source: string;
  database: string;
  strategy: string;
  /** Driver fields recorded with the plan (vers: the VM it is taken from). */
  extra?: Partial<CheckpointEntry>;
}

/** What a branch will be, recorded (state 'creating') before it is made. */
export type BranchPlan = Pick<BranchEntry, 'id' | 'database' | 'strategy' | 'sandbox'>;

export interface CreateCheckpointOptions {
  signal?: AbortSignal;
  /** Record an id learned midway (a vers commit), so an interruption leaves something gc can find. */
  recordId(id: string): Promise<void>;
}

export interface CreateBranchesOptions {
  signal?: AbortSignal;
  /** Called as each branch becomes usable (all at once when they are made in one call). */
  ready(name: string, id: string, durationMs: number): Promise<void>;
}

export interface StorageDriver {
  readonly kind: BackendKind;
  /** The engine it stores (absent: PostgreSQL); recorded with every checkpoint and branch. */
  readonly engine?: EngineName;
  readonly capabilities: BackendCapabilities;

  /** Check the source (`database`, default the configured one) and say what its checkpoint will be. */
  planCheckpoint(tag: string, database: string | undefined): Promise<CheckpointPlan>;
  /** Make the checkpoint; returns its id, how long it took, and fields to record with it. */
  createCheckpoint(
    tag: string,
    plan: CheckpointPlan,
    options: CreateCheckpointOptions,
  ): Promise<{ id: string; durationMs: number; extra?: Partial<CheckpointEntry> }>;
  /** Remove a checkpoint's copy, its working copy and what it owns. Idempotent. */
  removeCheckpoint(entry: CheckpointEntry): Promise<void>;

  planBranches(ckpt: CheckpointEntry, names: readonly string[]): Promise<BranchPlan[]>;
  createBranches(
    ckpt: CheckpointEntry,
    planned: readonly BranchEntry[],
    options: CreateBranchesOptions,
  ): Promise<void>;
  /** Remove what holds a branch (its id may still be '' when it was never made). Idempotent. */
  removeBranch(entry: BranchEntry): Promise<void>;

  /** Connection settings for a ready branch, as `as`. */
  connect(entry: BranchEntry, as: BranchRole): Promise<BranchConnection>;
  exec(entry: BranchEntry, command: string, options: ExecOptions): Promise<ExecResult>;
  connectSource(): Promise<BranchConnection>;
  execSource(command: string, options: ExecOptions): Promise<ExecResult>;
  /** An admin session on the source's server (a database that is never copied), for `fn` only (PostgreSQL). */
  withAdmin<T>(fn: (admin: ClientConfig) => Promise<T>): Promise<T>;
  /** A database beside the source, for engines whose admin SQL is not PostgreSQL's (else built on withAdmin). */
  sourceDatabase?(name: string): SourceDatabase;

  rollback(ckpt: CheckpointEntry, options: { signal?: AbortSignal }): Promise<RollbackResult>;
  /**
   * After gc settled the registry's own entries: remove what the driver made that the registry
   * (read again now) no longer accounts for: databases, roles, VMs of crashed processes.
   */
  sweep(report: GcReport): Promise<void>;
  verifyCheckpoint?(entry: CheckpointEntry): Promise<string[]>;
  close(): Promise<void>;
}
