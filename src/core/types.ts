/** Inputs of the core operations shared by the CLI commands and the MCP tools. */

import type { Backend } from '../backends/backend.js';
import type { DeployInput } from '../collector/deploy-options.js';
import type { EngineName, StrategyResult } from '../result.js';
import type { WorkloadInput } from '../workload/index.js';
import type { ProgressFn } from './context.js';

/** A migration given by the user: a .sql file path or inline SQL text; a shell command only with kind 'command'. */
export interface MigrationInput {
  /** Label for reports and the branch name; defaults to the file's base name. */
  name?: string;
  /** File path or SQL text; a shell command when kind is 'command'. */
  migration: string;
  /**
   * 'auto' (default): an existing path or *.sql is a file, anything else is SQL (and must parse).
   * A shell command is never guessed: it runs only with 'command'.
   */
  kind?: 'auto' | 'file' | 'sql' | 'command';
}

export interface CheckpointInput {
  tag: string;
  /** Database to snapshot (local backend); defaults to the one in DATABASE_URL / `postgres`... */
  database?: string;
  includeStats?: boolean;
  signal?: AbortSignal;
  onProgress?: ProgressFn;
  /** Recorded in the registry: "cli checkpoint", "vers-db run", "vers-db demo", … (unset: the user). */
  createdBy?: string;
}

export interface TestMigrationInput extends MigrationInput {
  baseline: string;
  /** The engine the caller expects (MCP `engine`); a checkpoint of another is an error. Unset: the checkpoint's. */
  engine?: EngineName;
  /** Shell command run on the branch after the migration; exit 0 = passed. */
  validation?: string;
  collectMetrics?: boolean;
  /** Simulate a slow query already reading the tables for this long (the lock-queue trap). */
  longReaderMs?: number;
  /** Deploy rehearsal: every statement under a lock_timeout, timed-out transactions retried. */
  deploy?: DeployInput;
  /** The application's own statements, run before, during and after the migration. */
  workload?: WorkloadInput;
  keepBranch?: boolean;
  /** Run the migration and validation as the server's superuser instead of the branch's own role (explicit opt-in). */
  superuser?: boolean;
  signal?: AbortSignal;
  onProgress?: ProgressFn;
  /** Recorded in the registry as who created the branch. */
  createdBy?: string;
}

export interface TestStrategiesInput {
  baseline: string;
  /** The engine the caller expects (MCP `engine`); a checkpoint of another is an error. Unset: the checkpoint's. */
  engine?: EngineName;
  migrations: MigrationInput[];
  validation?: string;
  /** How many strategies run at once; default 1 on one machine (timings compete for CPU). */
  parallel?: number;
  collectMetrics?: boolean;
  /** Simulate a slow query already reading the tables for this long (the lock-queue trap). */
  longReaderMs?: number;
  /** Deploy rehearsal: every statement under a lock_timeout, timed-out transactions retried. */
  deploy?: DeployInput;
  /** The application's own statements, run before, during and after each migration. */
  workload?: WorkloadInput;
  keepBranches?: boolean;
  /** Run migrations and validation as the server's superuser instead of each branch's own role (explicit opt-in). */
  superuser?: boolean;
  signal?: AbortSignal;
  onProgress?: ProgressFn;
  createdBy?: string;
  /** Called on each strategy's branch after it ran, before the branch goes (the variants' end-state check). */
  afterRun?: (backend: Backend, branch: string, index: number, result: StrategyResult) => Promise<void>;
  /** Called with every result before ranking. */
  beforeRank?: (results: StrategyResult[]) => void;
}

export interface CompareInput {
  branches: string[];
  /** The engine the caller expects (MCP `engine`); branches of another are an error. Unset: theirs. */
  engine?: EngineName;
  query?: string;
  /** Statement timeout for the query, ms (default 30 s). */
  timeoutMs?: number;
  maxRows?: number;
  signal?: AbortSignal;
}
