/**
 * The one interface both backends implement (contract tests: test/contract/). Core code, the collector
 * and the contract tests speak only to this.
 */
import type { ClientConfig } from 'pg';

export type BackendKind = 'local' | 'vers';

/** What a checkpoint is made of, as recorded in the registry. */
export interface CheckpointInfo {
  tag: string;
  backend: BackendKind;
  /** Local: the template database name. Vers: the commit UUID. */
  id: string;
  /** The database (local) or VM (vers) it was taken from. */
  source: string;
  /** The database inside the checkpoint that migrations run against. */
  database: string;
  createdAt: string;
  /** How the copy was made (local: WAL_LOG, FILE_COPY, FILE_COPY+clone; vers: commit). */
  strategy: string;
  /** Wall time to create the checkpoint, measured. */
  durationMs: number;
}

export interface BranchInfo {
  name: string;
  backend: BackendKind;
  checkpoint: string;
  /** Local: the database name. Vers: the VM UUID. */
  id: string;
  database: string;
  createdAt: string;
  durationMs: number;
  strategy: string;
}

/** A live connection target on a branch; close() releases tunnels. */
export interface BranchConnection {
  config: ClientConfig;
  /** postgres:// URL with the password redacted, for messages. */
  displayUrl: string;
  /** The database engine behind it (absent: postgres); `config` carries host/port/user/password/database. */
  engine?: 'postgres' | 'mysql';
  close(): Promise<void>;
}

export interface ExecOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  stdin?: string;
  /** Extra environment for the command (values are passed as env, never interpolated). */
  env?: Record<string, string>;
  cwd?: string;
  /** Local: run with the server's own (superuser) credentials instead of the branch's role (explicit opt-in). */
  superuser?: boolean;
}

/**
 * Who a connection to a branch logs in as: `owner` (default) owns the branch and nothing else
 * (on Vers the VM is the sandbox and this is its postgres user), `reader` may only read it (a
 * role that can only read, on both backends), `superuser` is the server's own user, for
 * migrations that explicitly asked for it.
 */
export type BranchRole = 'owner' | 'reader' | 'superuser';

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface GcReport {
  removed: string[];
  kept: string[];
  errors: string[];
}

export interface RollbackResult {
  tag: string;
  /** The fresh working copy made from the checkpoint (database or VM). */
  target: string;
  removed: string | null;
}

export interface BranchOptions {
  signal?: AbortSignal;
  /** Recorded in the registry: which command or tool made the branch. */
  createdBy?: string;
  /** Kept on purpose; gc leaves kept branches alone even after their creator exits. */
  keep?: boolean;
}

/** What a backend can do, for callers that would otherwise branch on its kind. */
export interface BackendCapabilities {
  /** Many branches are made side by side in one call (vers: one VM each); else one copy at a time. */
  batchBranching: boolean;
  /** How many strategies run at once when the caller does not say: all of them, or this many. */
  defaultParallel: 'all' | number;
  /** What keeps a migration inside its branch: per-branch roles on a shared server, or a VM of its own. */
  isolation: 'roles' | 'vm';
  /** A suite's server settings (postgresql.conf) are applied when the source is provisioned. */
  appliesServerSettings: boolean;
}

/**
 * A database on the source's server (the source itself by default): the suite runner, `up` and
 * the demo make and rebuild theirs through this, never with their own CREATE/DROP DATABASE.
 */
export interface SourceDatabase {
  readonly name: string;
  exists(): Promise<boolean>;
  /** Create it when missing (made meanwhile by another process counts); optionally label it. */
  ensure(options?: { comment?: string }): Promise<void>;
  /** Drop it (its sessions are ended) and create it empty. */
  reset(options?: { comment?: string }): Promise<void>;
  /** Drop it, sessions ended; a missing one is fine. */
  drop(): Promise<void>;
}

export interface Backend {
  /** Which backend, for records and reports; callers decide behaviour by `capabilities`. */
  readonly kind: BackendKind;
  readonly capabilities: BackendCapabilities;
  /** A database on the source's server, by name (the source database, or one beside it). */
  sourceDatabase(name: string): SourceDatabase;
  /** Snapshot the source database (local) or VM (vers) under `tag`. */
  checkpoint(
    tag: string,
    options?: { database?: string; signal?: AbortSignal; createdBy?: string },
  ): Promise<CheckpointInfo>;
  /** Create one branch per name from a checkpoint, all at once where the backend can. */
  branch(checkpoint: string, names: readonly string[], options?: BranchOptions): Promise<BranchInfo[]>;
  /** Connection parameters for the branch's database (through a tunnel on vers). */
  connect(branch: string, options?: { as?: BranchRole }): Promise<BranchConnection>;
  /** Run a shell command with the branch's database in PG* variables and DATABASE_URL. */
  exec(branch: string, command: string, options?: ExecOptions): Promise<ExecResult>;
  /** Run a shell command against the source database (suite setup: `psql -f schema.sql`, restores). */
  execSource(command: string, options?: ExecOptions): Promise<ExecResult>;
  /** Connection parameters for the source database (loading data, stats before a checkpoint). */
  connectSource(): Promise<BranchConnection>;
  /**
   * A fresh writable working copy of the checkpoint, replacing the previous one made by rollback
   * (local: database vdb_<id>_w_<tag>; vers: a new VM from the commit, the old one deleted).
   */
  rollback(tag: string, options?: { signal?: AbortSignal }): Promise<RollbackResult>;
  /** Remove a branch and everything behind it. Idempotent. */
  destroy(branch: string): Promise<void>;
  /** Remove a checkpoint. Refuses while branches of it exist unless force. */
  deleteCheckpoint(tag: string, options?: { force?: boolean }): Promise<void>;
  /** Remove what the registry says should not exist, and tool-owned leftovers the registry does not know. */
  gc(): Promise<GcReport>;
  /**
   * Local: is the checkpoint still there, a template nobody can connect to, with the per-table
   * checksums it was made with? Returns what is wrong (empty: intact). Checked after every run.
   */
  verifyCheckpoint?(tag: string): Promise<string[]>;
  /** Release connections, servers and tunnels this process opened. */
  close(): Promise<void>;
}
