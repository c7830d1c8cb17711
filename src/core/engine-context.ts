/**
 * A context for another engine than the one a command or the MCP server was started for: a
 * test of a MySQL checkpoint from a context made for PostgreSQL (no --engine given) needs the
 * MySQL backend. It shares the state directory, registry, environment and log; its backend is
 * its own, released by `done()` (nothing to release when the engine was already the context's).
 */
import { DEFAULT_ENGINE, engineForUrl } from '../engines/index.js';
import type { EngineName } from '../result.js';
import { type Context, createContext } from './context.js';

/**
 * The environment for the other engine's context: a DATABASE_URL of the first engine says where
 * its source is, not the other's (and an engine chosen beside a URL of another would be refused).
 */
function envFor(env: NodeJS.ProcessEnv, engine: EngineName): NodeJS.ProcessEnv {
  const url = env.DATABASE_URL?.trim();
  const urlEngine = url ? (engineForUrl(url)?.name ?? DEFAULT_ENGINE) : null;
  const { VERS_DB_ENGINE: _chosen, ...rest } = env;
  if (urlEngine === null || urlEngine === engine) return rest;
  const { DATABASE_URL: _other, ...withoutUrl } = rest;
  return withoutUrl;
}

export interface EngineContext {
  ctx: Context;
  done(): Promise<void>;
}

export function contextForEngine(ctx: Context, engine: EngineName | undefined): EngineContext {
  if (!engine || engine === (ctx.engine ?? DEFAULT_ENGINE)) return { ctx, done: async () => undefined };
  const other = createContext({
    env: envFor(ctx.env, engine),
    cwd: ctx.cwd,
    backend: ctx.backendKind,
    engine,
    log: (m) => ctx.log(m),
  });
  return { ctx: other, done: () => other.close() };
}

/** Run `fn` with a context for `engine` (the same one when it already is), released after. */
export async function withEngine<T>(
  ctx: Context,
  engine: EngineName | undefined,
  fn: (ctx: Context) => Promise<T>,
): Promise<T> {
  const e = contextForEngine(ctx, engine);
  try {
    return await fn(e.ctx);
  } finally {
    await e.done();
  }
}
