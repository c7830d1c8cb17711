/**
 * The raw shape of `vers-integration.yaml`, as written. It accepts the use-case's example
 * unmodified plus the rollback, ETL and performance patterns. Objects are strict so a typo is an
 * "unknown key" error instead of a silently ignored setting. Meaning (which pattern a suite is,
 * whether files exist, whether `after:` points somewhere) is checked by the loader, which turns
 * this raw form into the parsed `Suite` types below.
 */
import * as z from 'zod';
import type { Threshold } from '../analysis/thresholds.js';
import type { DeployRehearsal } from '../collector/deploy-options.js';
import type { EngineName } from '../engines/engine.js';
import { ENGINES } from '../engines/index.js';
import type { WorkloadInput } from '../workload/index.js';
import { WorkloadSchema } from '../workload/input.js';
import { RawDeploySchema } from './deploy.js';
import type { SuitePattern } from './result.js';

const Command = z.string().min(1, 'must not be empty');
const Name = z
  .string()
  .min(1, 'must not be empty')
  .max(63, 'must be at most 63 characters')
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]*$/,
    'use letters, digits, "-", "_" and "." (starting with a letter or digit)',
  );

/** A number to read from the branch: a SQL query returning one number, or a command printing one. */
const NumberSource = z.union([z.strictObject({ sql: Command }), z.strictObject({ command: Command })]);

const SettingValue = z.union([z.string(), z.number(), z.boolean()]);

export const RawServicesSchema = z.strictObject({
  postgres: z
    .strictObject({
      template: z
        .string()
        .regex(/^postgres(@\d+)?$/, 'expected "postgres" or "postgres@<major version>", e.g. postgres@15')
        .optional(),
      config: z
        .strictObject({
          databases: z.array(Name).optional(),
          extensions: z.array(z.string().min(1)).optional(),
          settings: z.record(z.string(), SettingValue).optional(),
        })
        .optional(),
    })
    .optional(),
});

const RawStepSchema = z.union([
  z.strictObject({ migration: Command }),
  z.strictObject({ validation: Command }),
  z.strictObject({ rollback: Command }),
]);

const RawExpectSchema = z.union([
  z.strictObject({ data_preserved: z.boolean() }),
  z.strictObject({ schema_matches: z.string().min(1) }),
]);

export const RawBranchSchema = z.strictObject({
  name: Name,
  description: z.string().optional(),
  // migrations pattern
  migration: Command.optional(),
  validation: Command.optional(),
  // rollback pattern
  steps: z.array(RawStepSchema).min(1).optional(),
  expect: z.array(RawExpectSchema).optional(),
  // ETL pattern
  command: Command.optional(),
  target: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  quality: NumberSource.optional(),
  lag: NumberSource.optional(),
  // performance pattern
  setup: z.union([Command, z.array(Command)]).optional(),
  queries: Command.optional(),
  warmup: z.number().int().min(0).optional(),
  iterations: z.number().int().min(1).optional(),
  metrics: z.array(z.string()).optional(),
});

export const RawSuiteSchema = z.strictObject({
  pattern: z.enum(['migrations', 'rollback', 'etl', 'performance']).optional(),
  description: z.string().optional(),
  setup: z.array(Command).optional(),
  checkpoint: Name.optional(),
  parallel: z.union([z.boolean(), z.number().int().min(1)]).optional(),
  warmup: z.number().int().min(0).optional(),
  iterations: z.number().int().min(1).optional(),
  /** migrations suites: the application's own statements, run before, during and after each migration. */
  workload: WorkloadSchema,
  /** Run the branches' migrations, steps and validations as the server's superuser (explicit opt-in). */
  superuser: z.boolean().optional(),
  /** migrations suites: rehearse each migration as a deploy (lock_timeout, retries); see deploy.ts. */
  deploy: RawDeploySchema,
  branches: z.array(RawBranchSchema).min(1, 'a suite needs at least one branch'),
  compare: z
    .strictObject({
      baseline: z.string().min(1),
      threshold: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
    })
    .optional(),
});

/** What `engine:` accepts: every engine's name and aliases. */
const ENGINE_CHOICES = ENGINES.flatMap((e) => [e.name, ...e.aliases]) as [string, ...string[]];

export const RawSuiteFileSchema = z.strictObject({
  /** Optional so the use-case's pattern snippets load as written; defaults to the file's base name. */
  name: z.string().min(1).optional(),
  version: z.union([z.string(), z.number()]).optional(),
  description: z.string().optional(),
  /** The database engine the suite runs on: postgres (default) or mysql (MySQL/MariaDB). */
  engine: z.enum(ENGINE_CHOICES).optional(),
  vm: z
    .strictObject({
      memory_mib: z.number().int().positive().optional(),
      vcpu: z.number().int().positive().optional(),
      storage_mib: z.number().int().positive().optional(),
    })
    .optional(),
  services: RawServicesSchema.optional(),
  tests: z.record(Name, RawSuiteSchema),
  checkpoints: z.array(z.strictObject({ name: Name, after: z.string().min(1) })).optional(),
});

export type RawSuiteFile = z.infer<typeof RawSuiteFileSchema>;
export type RawSuite = z.infer<typeof RawSuiteSchema>;
export type RawBranch = z.infer<typeof RawBranchSchema>;

// ---- parsed form: what the runner consumes (paths resolved, pattern decided, thresholds parsed)

export type NumberSourceSpec = { sql: string } | { command: string };

export type Step =
  | { kind: 'migration'; migration: string; file: string | null }
  | { kind: 'validation'; command: string }
  | { kind: 'rollback'; migration: string; file: string | null };

export type Expectation =
  | { kind: 'data_preserved'; value: boolean }
  | { kind: 'schema_matches'; checkpoint: string };

interface BranchBase {
  name: string;
  description: string | null;
  metrics: string[];
  /** Where the branch is in the file, for messages: tests.<suite>.branches[i]. */
  path: string;
}

export interface MigrationBranch extends BranchBase {
  pattern: 'migrations';
  /** Absolute path when the migration names a file, else SQL text or a command as written. */
  migration: string;
  validation: string | null;
}

export interface RollbackBranch extends BranchBase {
  pattern: 'rollback';
  steps: Step[];
  expect: Expectation[];
}

export interface EtlBranch extends BranchBase {
  pattern: 'etl';
  command: string;
  /** Tables whose rows row_count counts; empty = every user table. */
  target: string[];
  quality: NumberSourceSpec | null;
  lag: NumberSourceSpec | null;
  validation: string | null;
}

export interface PerformanceBranch extends BranchBase {
  pattern: 'performance';
  setup: string[];
  /** Absolute path of the queries file. */
  queries: string;
  warmup: number;
  iterations: number;
}

export type Branch = MigrationBranch | RollbackBranch | EtlBranch | PerformanceBranch;

export interface CheckpointSpec {
  name: string;
  /** The setup command it follows, or null for a suite's own checkpoint (after all its setup). */
  after: { suite: string; index: number; raw: string } | null;
}

export interface Suite {
  name: string;
  pattern: SuitePattern;
  description: string | null;
  setup: string[];
  /** The checkpoint the branches start from. */
  checkpoint: string;
  /** Whether the checkpoint name was written in the file (else it is `<suite>-baseline`). */
  checkpointGiven: boolean;
  parallel: boolean | number | null;
  branches: Branch[];
  compare: { baseline: string; thresholds: { metric: string; threshold: Threshold }[] } | null;
  /** migrations suites: the workload file (absolute path) and its settings. */
  workload: WorkloadInput | null;
  /** `superuser: true`: not confined to each branch's own role; every report says so. */
  superuser: boolean;
  /** migrations suites: the deploy rehearsal's settings. */
  deploy?: DeployRehearsal | null;
}

export interface SuiteFile {
  /** Absolute path of the YAML file; relative paths in it resolve against its directory. */
  file: string;
  dir: string;
  name: string;
  version: string | null;
  /** `engine:` as written (mysql for mariadb too), or null: the run's engine decides. */
  engine: EngineName | null;
  services: {
    template: string | null;
    majorVersion: number | null;
    databases: string[];
    extensions: string[];
    settings: Record<string, string>;
  };
  vm: { memoryMib: number | null; vcpu: number | null; storageMib: number | null };
  suites: Suite[];
  /** Named checkpoints from the top-level `checkpoints:` list. */
  checkpoints: CheckpointSpec[];
}
