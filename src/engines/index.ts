/**
 * The engines vers-db knows, and how one is chosen: from `--engine` / the MCP `engine` input by
 * name, or from the scheme of DATABASE_URL. PostgreSQL is still served by the collector and
 * backends directly; it joins this list when its side implements `Engine`.
 */
import { InvalidInputError } from '../errors.js';
import { type Engine, urlScheme } from './engine.js';
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
