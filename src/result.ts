/**
 * The Result JSON, as zod schemas. It is the CLI's `--json`, the MCP tools'
 * structuredContent and the input of every report, so fields may be added but never renamed.
 */
import * as z from 'zod';
import { ENGINE_NAMES, type EngineName } from './engines/engine.js';
import { WorkloadResultSchema } from './workload/result.js';

export const StatementResultSchema = z.object({
  index: z.number().int().describe('1-based position of the statement in the migration'),
  sql: z.string(),
  line: z.number().int().describe('line in the migration file where the statement starts'),
  duration_ms: z.number(),
  error: z.string().nullable(),
  sqlstate: z.string().nullable().optional(),
  start_ms: z.number().optional().describe('when the statement began, ms from the start of the migration'),
});

export const LockHeldSchema = z.object({
  relation: z.string().describe('schema-qualified relation name'),
  mode: z.string().describe('Postgres lock mode, e.g. AccessExclusiveLock'),
  held_ms: z.number().describe('how long the migration held the lock, from 10 ms sampling'),
  statement: z.number().int().nullable().describe('statement index that was running when it was taken'),
  start_ms: z.number().describe('when it was first seen, ms from the start of the migration'),
  blocked_pids: z
    .number()
    .int()
    .optional()
    .describe('sessions seen waiting on the migration while it held it'),
});

export const WaitCauseSchema = z.object({
  kind: z
    .enum([
      'row_lock',
      'index_lock',
      'view_lock',
      'table_lock',
      'lock_queue',
      'other_session',
      'slow_execution',
    ])
    .describe('what the application statement waited for'),
  relation: z
    .string()
    .nullable()
    .describe('the relation whose lock it waited for, when it was a relation lock'),
  statement: z.number().int().nullable().describe('the migration statement that held it'),
  sql: z.string().nullable().describe("that statement's text, shortened"),
  text: z.string().describe('the cause in plain words'),
});

export const ProbeStatusSchema = z.enum(['measured', 'unmeasured', 'not_applicable']);

export const ProbeStatsSchema = z.object({
  max_wait_ms: z.number().describe('longest time one application statement (probe) waited'),
  blocked_ms: z.number().describe('total time during which probes were waiting (union of waits)'),
  probes: z.number().int(),
  timeouts: z.number().int(),
  errors: z.number().int(),
  deadlocks: z.number().int().optional().describe('probes that deadlocked with the migration'),
  waited_share: z.number().optional().describe('share (0-1) of probes that waited more than 100 ms'),
  status: ProbeStatusSchema.optional().describe(
    'measured; unmeasured (no probe could run: never read as 0 ms); not_applicable (writes to a view)',
  ),
  unmeasured_reason: z.string().optional(),
  cause: WaitCauseSchema.nullable().optional().describe('why the longest wait waited'),
});

export const BlockingSchema = z.object({
  reads: ProbeStatsSchema,
  writes: ProbeStatsSchema,
  tables: z.record(z.string(), z.object({ reads: ProbeStatsSchema, writes: ProbeStatsSchema })),
});

export const BloatEntrySchema = z.object({
  relation: z.string(),
  size_before: z.number().describe('bytes, table + indexes + toast'),
  size_after: z.number(),
  dead_tuples: z
    .number()
    .nullable()
    .describe('dead row versions left; null where the engine has none to count (InnoDB purges them itself)'),
  dead_pct: z.number().nullable(),
});

export const IntegritySchema = z.object({
  ok: z.boolean(),
  row_counts: z.record(z.string(), z.object({ before: z.number(), after: z.number().nullable() })),
  invalid_indexes: z.array(z.string()),
  not_valid_constraints: z.array(z.string()),
  problems: z.array(z.string()).optional().describe('why ok is false, in plain words'),
});

export const ValidationSchema = z.object({
  status: z.enum(['passed', 'failed']),
  output: z.string(),
});

export const LockEventSchema = z.object({
  relation: z.string(),
  mode: z.string(),
  granted: z.boolean(),
  start_ms: z.number(),
  end_ms: z.number(),
  statement: z.number().int().nullable(),
});

export const ProbeWaitSchema = z.object({
  relation: z.string(),
  kind: z.enum(['read', 'write']),
  start_ms: z.number(),
  wait_ms: z.number(),
  timed_out: z.boolean(),
  deadlock: z.boolean().optional().describe('the probe deadlocked with the migration'),
  cause: WaitCauseSchema.optional(),
});

// ---- Deploy rehearsal (`--deploy-lock-timeout`, issue 15): each strategy run as a careful deploy would.

export const AppWaitsSchema = z.object({
  waits: z.number().int().describe('application statements (probes) that waited more than 5 ms'),
  max_wait_ms: z.number().describe('the longest of those waits'),
  blocked_ms: z.number().describe('time during which at least one of them was waiting (union)'),
  timeouts: z.number().int().describe('probes that gave up waiting'),
});

export const DeployAttemptSchema = z.object({
  first_statement: z
    .number()
    .int()
    .describe('first statement of the transaction tried (its BEGIN, or the statement alone)'),
  last_statement: z.number().int().describe('last statement of that transaction'),
  attempt: z.number().int().describe('1-based try of this transaction'),
  statement: z.number().int().describe('the statement the try ended on: the one that failed, or the last'),
  start_ms: z.number().describe('ms from the start of the migration'),
  duration_ms: z.number(),
  outcome: z.enum(['ok', 'lock_timeout', 'error']),
  error: z.string().nullable(),
  backoff_ms: z.number().describe('wait before the next try (0: none followed)'),
  cleanup: z
    .array(
      z.object({
        index: z.string().describe('schema.name of the INVALID index the timed-out statement left'),
        dropped: z.boolean().describe('dropped (DROP INDEX CONCURRENTLY) before the next try'),
        tries: z.number().int(),
        error: z.string().nullable(),
      }),
    )
    .optional(),
  app_waits: AppWaitsSchema.nullable().describe(
    "the application's waits during this try (null: not measured)",
  ),
});

export const DeployRehearsalSchema = z.object({
  lock_timeout_ms: z.number().int().describe('lock_timeout every statement ran under'),
  retries: z.number().int().describe('retries allowed per transaction after a lock timeout'),
  backoff_ms: z.number().int().describe('wait before the first retry; doubled for each further one'),
  budget_ms: z.number().int().describe('no retry starts past this time since the deploy began'),
  got_through: z.boolean().describe('every statement completed within the retries and the budget'),
  reason: z.string().nullable().describe('why it did not get through'),
  total_ms: z.number().describe('the whole deploy: every try and every wait between them'),
  statements: z.array(
    z.object({
      index: z.number().int(),
      attempts: z.number().int().describe('times the statement was sent'),
      lock_timeouts: z.number().int(),
      got_through: z.boolean().describe('its transaction committed (or, alone, it completed)'),
    }),
  ),
  attempts: z.array(DeployAttemptSchema),
  app_waits: AppWaitsSchema.nullable().describe(
    "the application's waits across all tries and the waits between them",
  ),
});

export type AppWaits = z.infer<typeof AppWaitsSchema>;
export type DeployAttempt = z.infer<typeof DeployAttemptSchema>;
export type DeployRehearsalResult = z.infer<typeof DeployRehearsalSchema>;

// ---- end of the deploy rehearsal block

// ---- Engines (issue 12): which database engine a result was measured on; postgres where omitted.
export const EngineNameSchema = z.enum(ENGINE_NAMES);
export type { EngineName };

const engineField = EngineNameSchema.optional().describe(
  'the database engine measured (postgres where omitted); on mysql relations are <database>.<table>, ' +
    'locks[].mode are metadata-lock types, wal_bytes are InnoDB redo bytes',
);
// ---- end of the engines block

export const StrategyResultSchema = z.object({
  name: z.string(),
  engine: engineField,
  branch: z.string(),
  status: z.enum(['passed', 'failed']),
  error: z.string().nullable(),
  failed_statement: z.number().int().nullable().optional(),
  duration_ms: z.number(),
  branch_ms: z
    .number()
    .optional()
    .describe("time it took to create this strategy's branch from the checkpoint"),
  statements: z.array(StatementResultSchema),
  locks: z.array(LockHeldSchema),
  blocking: BlockingSchema,
  rewrites: z.array(z.string()),
  bloat: z.object({ tables: z.array(BloatEntrySchema) }),
  integrity: IntegritySchema,
  validation: ValidationSchema.nullable(),
  wal_bytes: z.number().nullable().optional(),
  schema_changes: z.array(z.string()).optional().describe('catalog differences against the checkpoint'),
  timeline: z
    .object({ locks: z.array(LockEventSchema), waits: z.array(ProbeWaitSchema) })
    .optional()
    .describe('raw lock intervals and probe waits, for the HTML lock timeline'),
  metrics: z.record(z.string(), z.number().nullable()).optional(),
  lock_source: z
    .string()
    .optional()
    .describe(
      'MySQL: where lock holders and waiters were read (performance_schema, the metadata_lock_info plugin, ' +
        'both, or none: then lock holders cannot be named)',
    ),
  sandbox: z
    .object({
      role: z
        .enum(['branch-owner', 'superuser', 'server-user', 'vm'])
        .describe(
          "who the migration ran as: the branch's own role, the server's superuser (asked for with --superuser), " +
            'the server user (no sandbox: it is not a superuser), or a Vers VM',
        ),
      warnings: z
        .array(z.string())
        .describe('statements that reach outside the branch (from the parse tree; advisory)'),
    })
    .optional(),
  workload: WorkloadResultSchema.optional().describe(
    "the application's own workload (--workload): latency, errors, committed writes",
  ),
  deploy: DeployRehearsalSchema.optional().describe(
    'the deploy rehearsal (--deploy-lock-timeout): tries per statement under lock_timeout, retries, app waits per try',
  ),
  equivalence: z
    .object({
      status: z.enum(['original', 'same', 'different', 'unchecked']),
      original: z.string().describe('the strategy whose end state this one is compared with'),
      differences: z.array(z.string()).describe('schema lines (+/-/~) and tables whose data differ'),
      reason: z.string().optional().describe('why it was not checked'),
    })
    .optional()
    .describe(
      "same end-state schema (column order aside) and data (volatile values aside) as the original's",
    ),
});

export const RecommendationSchema = z.object({
  name: z.string(),
  reasons: z.array(z.string()),
});

export const ComparisonSchema = z.object({
  baseline: z.string(),
  engine: engineField,
  backend: z.enum(['local', 'vers']),
  mode: z.enum(['serial', 'parallel']).optional(),
  results: z.array(StrategyResultSchema),
  recommendation: RecommendationSchema.nullable(),
  rejected: z.array(z.object({ name: z.string(), reason: z.string() })).optional(),
});

export type StatementResult = z.infer<typeof StatementResultSchema>;
export type LockHeld = z.infer<typeof LockHeldSchema>;
export type ProbeStats = z.infer<typeof ProbeStatsSchema>;
export type WaitCause = z.infer<typeof WaitCauseSchema>;
export type ProbeStatus = z.infer<typeof ProbeStatusSchema>;
export type Blocking = z.infer<typeof BlockingSchema>;
export type BloatEntry = z.infer<typeof BloatEntrySchema>;
export type Integrity = z.infer<typeof IntegritySchema>;
export type Validation = z.infer<typeof ValidationSchema>;
export type LockEvent = z.infer<typeof LockEventSchema>;
export type ProbeWait = z.infer<typeof ProbeWaitSchema>;
export type StrategyResult = z.infer<typeof StrategyResultSchema>;
export type Recommendation = z.infer<typeof RecommendationSchema>;
export type Comparison = z.infer<typeof ComparisonSchema>;

/** db_checkpoint / `vers-db checkpoint`. */
export const CheckpointReportSchema = z.object({
  status: z.literal('checkpoint_created'),
  tag: z.string(),
  engine: engineField,
  backend: z.enum(['local', 'vers']),
  id: z.string().describe('template database (local) or commit UUID (vers)'),
  source: z.string().describe('the database or VM that was snapshotted'),
  database: z.string(),
  strategy: z.string().describe('how the copy was made: WAL_LOG, FILE_COPY, FILE_COPY+clone, vers commit'),
  duration_ms: z.number(),
  created_at: z.string(),
  tables: z
    .array(z.object({ relation: z.string(), rows: z.number(), total_bytes: z.number() }))
    .nullable()
    .describe('row counts (exact) and sizes at checkpoint time, when include_stats'),
  next: z.array(z.string()).describe('what to run next'),
});
export type CheckpointReport = z.infer<typeof CheckpointReportSchema>;

/** db_compare_branches / `vers-db compare`. */
export const BranchComparisonSchema = z.object({
  branches: z.array(z.string()),
  engine: engineField,
  reference: z.string().describe('the checkpoint the first branch came from; differences are against it'),
  query: z.string().nullable(),
  query_results: z
    .record(
      z.string(),
      z.object({
        columns: z.array(z.string()),
        rows: z.array(z.record(z.string(), z.unknown())),
        row_count: z.number(),
        truncated: z.boolean(),
        error: z.string().nullable(),
      }),
    )
    .describe('per branch: the comparison_query result (read-only transaction, statement timeout)'),
  row_counts: z
    .record(z.string(), z.record(z.string(), z.number().nullable()))
    .describe('relation -> {checkpoint, <branch>...}: exact row counts; null where the table does not exist'),
  schema_differences: z
    .record(z.string(), z.array(z.string()))
    .describe('per branch: catalog differences against the checkpoint'),
});
export type BranchComparison = z.infer<typeof BranchComparisonSchema>;

/** db_branches / `vers-db branches`. */
export const BranchListSchema = z.object({
  checkpoints: z.array(
    z.object({
      tag: z.string(),
      backend: z.enum(['local', 'vers']),
      engine: EngineNameSchema,
      id: z.string(),
      source: z.string(),
      strategy: z.string(),
      created_at: z.string(),
      state: z.string(),
    }),
  ),
  branches: z.array(
    z.object({
      name: z.string(),
      backend: z.enum(['local', 'vers']),
      engine: EngineNameSchema,
      checkpoint: z.string(),
      id: z.string(),
      created_at: z.string(),
      created_by: z.string(),
      state: z.string(),
    }),
  ),
});
export type BranchList = z.infer<typeof BranchListSchema>;
