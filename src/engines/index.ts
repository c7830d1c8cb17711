/**
 * The engines vers-db knows, and how one is chosen: from `--engine` / the MCP `engine` input by
 * name or alias, or from the scheme of DATABASE_URL. Adding an engine is one entry here and its
 * own folder; nothing else in this file names an engine.
 */
import { InvalidInputError } from '../errors.js';
import { type Engine, type EngineName, urlScheme } from './engine.js';
import { mysqlEngine } from './mysql/engine.js';
import { postgresEngine } from './postgres/engine.js';

/** Every engine, the default (what a record without an engine, or no choice at all, means) first. */
export const ENGINES: readonly Engine[] = [postgresEngine, mysqlEngine];
export const DEFAULT_ENGINE: EngineName = 'postgres';

/** The engine named `name` (its name or an alias, any case), or a clear error listing them. */
export function engineByName(name: string): Engine {
  const wanted = name.trim().toLowerCase();
  const engine = ENGINES.find((e) => e.name === wanted || e.aliases.includes(wanted));
  if (!engine) {
    throw new InvalidInputError(`unknown engine ${JSON.stringify(name)}`, {
      hint: `use one of: ${ENGINES.map((e) => e.name).join(', ')}`,
    });
  }
  return engine;
}

/** The engine a URL's scheme selects, or null when no engine claims the scheme. */
export function engineForUrl(url: string): Engine | null {
  const scheme = urlScheme(url);
  return (scheme && ENGINES.find((e) => e.urlSchemes.includes(scheme))) || null;
}

/** `--engine` / VERS_DB_ENGINE / MCP `engine` as an EngineName ("postgresql" and "pg" are PostgreSQL). */
export function engineNameOf(value: string): EngineName {
  return engineByName(value).name;
}

/** For messages: "PostgreSQL", "MySQL/MariaDB". */
export function engineLabel(name: EngineName): string {
  return engineByName(name).label;
}

/**
 * The engine of a context: the explicit choice (`--engine`, MCP `engine`), else VERS_DB_ENGINE,
 * else DATABASE_URL's scheme, else the default. An explicit choice that contradicts the URL's
 * scheme is bad input, not a guess.
 */
export function chooseEngine(explicit: string | undefined, env: NodeJS.ProcessEnv): EngineName {
  const url = env.DATABASE_URL?.trim();
  const fromUrl = url ? (engineForUrl(url)?.name ?? null) : null;
  const chosen = explicit?.trim() || env.VERS_DB_ENGINE?.trim();
  if (!chosen) return fromUrl ?? DEFAULT_ENGINE;
  const name = engineNameOf(chosen);
  if (fromUrl && fromUrl !== name) {
    const engine = engineByName(name);
    throw new InvalidInputError(
      `the engine is ${engine.label} (${explicit?.trim() ? '--engine' : 'VERS_DB_ENGINE'}), but DATABASE_URL is a ${engineLabel(fromUrl)} URL (${url ? urlScheme(url) : ''}://)`,
      {
        hint: `drop one of them, or make them agree (--engine ${fromUrl}, or a ${engine.urlSchemes[0]}:// DATABASE_URL)`,
      },
    );
  }
  return name;
}
