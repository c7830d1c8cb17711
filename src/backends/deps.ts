/**
 * What a backend needs from its caller: the registry (which also names the state directory),
 * the environment, the working directory and a logger to stderr. Not the whole command context,
 * so backends never import core/ (no import cycle).
 */
import type { EngineName } from '../engines/engine.js';
import type { Registry } from '../state/registry.js';

export interface BackendDeps {
  readonly registry: Registry;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** The database engine the caller chose (absent: PostgreSQL). */
  readonly engine?: EngineName;
  log(message: string): void;
}

/** The state directory: where the registry, the embedded cluster and child records live. */
export const stateDirOf = (deps: BackendDeps): string => deps.registry.dir;
