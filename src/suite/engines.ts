/**
 * What a suite run does differently per engine: options it refuses before anything is made, how
 * the source database is prepared for setup and recorded after it, and which setup steps the
 * engine runs itself instead of the shell (MySQL: a step naming a .sql file, split as the mysql
 * client does). The runner asks `suiteEngine(name)` and never tests an engine's name.
 */
import type { Backend, ExecResult } from '../backends/backend.js';

type SetupStepResult = Pick<ExecResult, 'exitCode' | 'stdout' | 'stderr'>;

import type { Context } from '../core/context.js';
import { recordSource, SUITE_CREATOR } from '../core/ownership.js';
import type { EngineName } from '../engines/engine.js';
import { InvalidInputError } from '../errors.js';
import {
  prepareMysqlSource,
  recordMysqlSource,
  refusePostgresOnly,
  runMysqlSetupFile,
  setupSqlFile,
} from './mysql.js';
import { preparePgSource } from './pg-source.js';
import type { Suite, SuiteFile } from './schema.js';

export interface SuiteEngine {
  /** Throw, naming the suite and option, for what this engine's runs cannot do. */
  refuseUnsupported(file: SuiteFile, suites: readonly Suite[]): Promise<void>;
  /** Make the source ready for setup: made if missing, rebuilt only when vers-db made it (or --rebuild). */
  prepareSource(
    ctx: Context,
    backend: Backend,
    file: SuiteFile,
    setupRuns: boolean,
    rebuild: boolean,
  ): Promise<void>;
  /** Run a setup step the engine handles itself, or return null to run it as a shell command. */
  runSetupStep(
    backend: Backend,
    command: string,
    dir: string,
    signal?: AbortSignal,
  ): Promise<SetupStepResult> | null;
  /** Record what setup made in the source, so the next run may rebuild it and only it. */
  recordSource(ctx: Context, backend: Backend): Promise<void>;
}

const postgresSuites: SuiteEngine = {
  refuseUnsupported: async () => undefined,
  prepareSource: preparePgSource,
  runSetupStep: () => null,
  recordSource: (ctx, backend) => recordSource(ctx, backend, SUITE_CREATOR),
};

const mysqlSuites: SuiteEngine = {
  refuseUnsupported: refusePostgresOnly,
  prepareSource: (ctx, backend, _file, setupRuns, rebuild) =>
    prepareMysqlSource(ctx, backend, setupRuns, rebuild),
  runSetupStep(backend, command, dir, signal) {
    const sqlFile = setupSqlFile(command, dir);
    return sqlFile ? runMysqlSetupFile(backend, sqlFile, command.trim(), signal) : null;
  },
  recordSource: recordMysqlSource,
};

const SUITE_ENGINES: Readonly<Record<EngineName, SuiteEngine>> = {
  postgres: postgresSuites,
  mysql: mysqlSuites,
};

export const suiteEngineOps = (name: EngineName): SuiteEngine => SUITE_ENGINES[name];

/**
 * The engine of a run: `engine:` in the file, else the run's (--engine, MCP `engine`,
 * VERS_DB_ENGINE, DATABASE_URL's scheme). An engine asked for by the run that contradicts the
 * file's is bad input.
 */
export function suiteEngine(
  file: SuiteFile,
  runEngine: EngineName,
  explicit: EngineName | undefined,
): EngineName {
  if (file.engine && explicit && explicit !== file.engine) {
    throw new InvalidInputError(
      `${file.file} says engine: ${file.engine}, but the run asked for ${explicit}`,
      {
        hint: `drop one of them, or make them agree`,
      },
    );
  }
  return file.engine ?? explicit ?? runEngine;
}
