/**
 * What every command and tool needs: where state lives, the registry, a logger to stderr and
 * the backend (created lazily, so `vers-db branches` never starts a server).
 */
import type { Backend, BackendKind } from '../backends/backend.js';
import type { BackendDeps } from '../backends/deps.js';
import type { EngineName } from '../engines/engine.js';
import { chooseEngine } from '../engines/index.js';
import { InvalidInputError } from '../errors.js';
import { stateDir as resolveStateDir } from '../state/paths.js';
import { Registry } from '../state/registry.js';
import { addSecretsFromEnv, redact } from '../util/secrets.js';

export interface Progress {
  message: string;
  /** Monotonic counter of steps done; total when known. */
  progress?: number;
  total?: number;
}
export type ProgressFn = (p: Progress) => void;

export interface Context {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly stateDir: string;
  readonly registry: Registry;
  readonly backendKind: BackendKind;
  /** The database engine: --engine / MCP `engine`, else VERS_DB_ENGINE, else DATABASE_URL's scheme, else postgres. */
  readonly engine: EngineName;
  /** Diagnostics go to stderr (never stdout: it carries JSON or MCP protocol). */
  log(message: string): void;
  backend(): Promise<Backend>;
  close(): Promise<void>;
}

export interface ContextOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  backend?: string;
  /** 'postgres' or 'mysql' (also 'postgresql', 'pg'); else VERS_DB_ENGINE, else DATABASE_URL's scheme. */
  engine?: string;
  log?: (message: string) => void;
}

export function backendKindOf(value: string | undefined): BackendKind {
  const v = (value ?? 'local').trim().toLowerCase();
  if (v === 'local' || v === '') return 'local';
  if (v === 'vers') return 'vers';
  throw new InvalidInputError(`unknown backend ${JSON.stringify(value)}`, { hint: 'use "local" or "vers"' });
}

export function createContext(options: ContextOptions = {}): Context {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const dir = resolveStateDir(env, cwd);
  const registry = new Registry(dir);
  const kind = backendKindOf(options.backend ?? env.VERS_DB_BACKEND);
  const engine = chooseEngine(options.engine, env);
  // Passwords in DATABASE_URL, VERS_API_KEY, PGPASSWORD …: never printed, logged or reported.
  addSecretsFromEnv(env);
  const rawLog = options.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const log = (m: string) => rawLog(redact(m));
  let backend: Promise<Backend> | undefined;
  const ctx: Context = {
    env,
    cwd,
    stateDir: dir,
    registry,
    backendKind: kind,
    engine,
    log,
    backend() {
      backend ??= createBackend(ctx).catch((err: unknown) => {
        backend = undefined;
        throw err;
      });
      return backend;
    },
    async close() {
      if (backend) await (await backend.catch(() => null))?.close();
    },
  };
  return ctx;
}

/** Backends get only what they need (BackendDeps), never the context itself. */
async function createBackend(ctx: Context): Promise<Backend> {
  const deps: BackendDeps = {
    registry: ctx.registry,
    env: ctx.env,
    cwd: ctx.cwd,
    log: ctx.log,
    engine: ctx.engine,
  };
  if (ctx.backendKind === 'vers') {
    const { createVersBackend } = await import('../backends/vers.js');
    return createVersBackend(deps);
  }
  return LOCAL_BACKENDS[ctx.engine](deps);
}

/** The local backend of each engine (Vers serves every engine from one backend), loaded when used. */
const LOCAL_BACKENDS: Readonly<Record<EngineName, (deps: BackendDeps) => Promise<Backend>>> = {
  postgres: async (deps) => (await import('../backends/local.js')).createLocalBackend(deps),
  mysql: async (deps) => (await import('../engines/mysql/local-backend.js')).createMysqlLocalBackend(deps),
};
