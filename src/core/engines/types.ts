/**
 * What core does differently per engine, behind one interface: reading the source for a
 * checkpoint's record, refusing options the engine's collector lacks, reading a workload file in
 * its dialect, measuring a migration on a branch, naming what of a migration reaches outside its
 * branch, and comparing branches. checkpoint.ts, test.ts, measure-branch.ts and compare.ts ask
 * `coreEngine(name)` (./index.ts) and never test an engine's name; a new engine is one more
 * implementation listed there.
 */
import type { Backend, BranchConnection } from '../../backends/backend.js';
import type { DeployRehearsal } from '../../collector/deploy-options.js';
import type { EngineName } from '../../engines/engine.js';
import type { BranchComparison, StrategyResult } from '../../result.js';
import type { BranchEntry } from '../../state/registry.js';
import type { Timeouts } from '../../util/timeouts.js';
import type { WorkloadInput, WorkloadSpec } from '../../workload/index.js';
import type { CheckpointSnapshot } from '../checkpoint-snapshot.js';
import type { Context, ProgressFn } from '../context.js';
import type { ResolvedMigration } from '../migration-input.js';
import type { CompareInput, TestStrategiesInput } from '../types.js';

export interface MeasureOptions {
  validation?: string;
  collectMetrics?: boolean;
  longReaderMs?: number;
  deploy?: DeployRehearsal | null;
  superuser?: boolean;
  workload?: WorkloadSpec;
  knownRowCounts?: Record<string, number>;
  /** MySQL: the database results name relations in (the checkpoint's source; a logical copy serves another). */
  relationDatabase?: string;
  signal?: AbortSignal;
  onProgress?: ProgressFn;
  timeouts: Timeouts;
}

/** The source as read before its checkpoint copy, and what completes the record after it. */
export interface SourceRead {
  database: string | undefined;
  snapshot: CheckpointSnapshot;
  /** Complete the record once the checkpoint exists. */
  afterCopy(ctx: Context, signal?: AbortSignal): Promise<void>;
}

/** Bounds on a comparison query's result. */
export interface QueryLimits {
  timeoutMs: number;
  maxRows: number;
  maxBytes: number;
}

export interface CompareRequest {
  backend: Backend;
  entries: readonly BranchEntry[];
  snapshot: CheckpointSnapshot;
  input: CompareInput;
  limits: QueryLimits;
  /** The checkpoint's source database (a MySQL logical copy serves it under another name). */
  sourceDatabase?: string;
}

export interface CoreEngine {
  readonly name: EngineName;
  /** Read the source before the checkpoint copies it: row counts (unless sealed later), sizes, schema. */
  readSource(ctx: Context, tag: string, source: BranchConnection, backend: Backend): Promise<SourceRead>;
  /** Throw, before any branch exists, for options this engine's collector does not have. */
  refuseUnsupported(input: TestStrategiesInput, resolved: readonly ResolvedMigration[]): void;
  /** A workload file, read in the engine's SQL dialect (parameters, RETURNING). */
  loadWorkload(input: WorkloadInput, cwd: string): Promise<WorkloadSpec>;
  /** Run and measure one migration on a branch with the engine's collector (validation is the caller's). */
  measure(
    backend: Backend,
    conn: BranchConnection,
    branch: string,
    m: ResolvedMigration,
    opts: MeasureOptions,
  ): Promise<StrategyResult>;
  /** What of a migration's SQL reaches outside its branch (advisory warnings). */
  outsideBranchWarnings(sql: string, conn: BranchConnection): string[];
  /** Throw for a comparison query this engine would not run (checked before any server is started). */
  checkCompareQuery(query: string): Promise<void>;
  /** Row counts, schema differences and the optional query on each branch, against the checkpoint. */
  compare(request: CompareRequest): Promise<BranchComparison>;
}
