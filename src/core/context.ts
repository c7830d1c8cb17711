/**
 * What every command and tool needs: where state lives, the registry, a logger to stderr and
 * the backend (created lazily, so `vers-db branches` never starts a server).
 */
import type { Backend, BackendKind } from '../backends/backend.js';
import type { BackendDeps } from '../backends/deps.js';
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
  /** The database engine checkpoints are made of (default postgres). */
  readonly engine: 'postgres' | 'mysql';
  /** Diagnostics go to stderr (never stdout: it carries JSON or MCP protocol). */
  log(message: string): void;
  backend(): Promise<Backend>;
  close(): Promise<void>;
}

export interface ContextOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  backend?: string;
  engine?: 'postgres' | 'mysql';
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
    engine: options.engine ?? 'postgres',
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
  const deps: BackendDeps = { registry: ctx.registry, env: ctx.env, cwd: ctx.cwd, log: ctx.log };
  if (ctx.backendKind === 'vers') {
    const { createVersBackend } = await import('../backends/vers.js');
    return createVersBackend(deps);
  }
  const { createLocalBackend } = await import('../backends/local.js');
  return createLocalBackend(deps);
}
