/**
 * The engines vers-db knows, and how one is chosen: from `--engine` / the MCP `engine` input by
 * name, or from the scheme of DATABASE_URL. PostgreSQL is still served by the collector and
 * backends directly; it joins this list when its side implements `Engine`.
 */
import { InvalidInputError } from '../errors.js';
import { type Engine, type EngineName, urlScheme } from './engine.js';
import { mysqlEngine } from './mysql/engine.js';

export const ENGINES: readonly Engine[] = [mysqlEngine];

export function engineByName(name: string): Engine {
  const engine = ENGINES.find((e) => e.name === name.trim().toLowerCase());
  if (!engine) {
    throw new InvalidInputError(`unknown engine ${JSON.stringify(name)}`, {
      hint: `use one of: postgres, ${ENGINES.map((e) => e.name).join(', ')}`,
    });
  }
  return engine;
}

/** The engine a URL's scheme selects, or null (postgres:// and postgresql:// are PostgreSQL's). */
export function engineForUrl(url: string): Engine | null {
  const scheme = urlScheme(url);
  return (scheme && ENGINES.find((e) => e.urlSchemes.includes(scheme))) || null;
}

const POSTGRES_NAMES = ['postgres', 'postgresql', 'pg'];
const POSTGRES_SCHEMES = ['postgres', 'postgresql'];

/** `--engine` / VERS_DB_ENGINE / MCP `engine` as an EngineName ("postgresql" and "pg" are PostgreSQL). */
export function engineNameOf(value: string): EngineName {
  if (POSTGRES_NAMES.includes(value.trim().toLowerCase())) return 'postgres';
  return engineByName(value).name as EngineName;
}

/** For messages: "PostgreSQL", "MySQL/MariaDB". */
export function engineLabel(name: EngineName): string {
  return name === 'postgres' ? 'PostgreSQL' : engineByName(name).label;
}

/**
 * The engine of a context: the explicit choice (`--engine`, MCP `engine`), else VERS_DB_ENGINE,
 * else DATABASE_URL's scheme, else PostgreSQL. An explicit choice that contradicts the URL's
 * scheme is bad input, not a guess.
 */
export function chooseEngine(explicit: string | undefined, env: NodeJS.ProcessEnv): EngineName {
  const url = env.DATABASE_URL?.trim();
  const scheme = url ? urlScheme(url) : null;
  const fromUrl: EngineName | null = !url
    ? null
    : ((engineForUrl(url)?.name as EngineName | undefined) ??
      (scheme && POSTGRES_SCHEMES.includes(scheme) ? 'postgres' : null));
  const chosen = explicit?.trim() || env.VERS_DB_ENGINE?.trim();
  if (!chosen) return fromUrl ?? 'postgres';
  const name = engineNameOf(chosen);
  if (fromUrl && fromUrl !== name) {
    throw new InvalidInputError(
      `the engine is ${engineLabel(name)} (${explicit?.trim() ? '--engine' : 'VERS_DB_ENGINE'}), but DATABASE_URL is a ${engineLabel(fromUrl)} URL (${scheme}://)`,
      {
        hint: `drop one of them, or make them agree (--engine ${fromUrl}, or a ${name === 'mysql' ? 'mysql://' : 'postgres://'} DATABASE_URL)`,
      },
    );
  }
  return name;
}
