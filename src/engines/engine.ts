/**
 * The engine axis beside the backend axis: what differs between database engines (PostgreSQL,
 * MySQL/MariaDB, later others such as MongoDB) behind one small description. Each engine lives in
 * its own folder (`src/engines/<name>/`) and exports one `Engine`; `index.ts` lists them. Code
 * outside an engine's folder sees only this interface, so adding an engine touches no other.
 */

/**
 * The engines vers-db runs on, recorded with checkpoints and branches (absent in a record =
 * 'postgres'); the Result JSON's EngineNameSchema is made from this list. A plain list, not zod:
 * this module is loaded on lazy paths of the bundle, which must not pull zod's init into them.
 */
export const ENGINE_NAMES = ['postgres', 'mysql'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/** The engine a registry record or connection belongs to (records made before engines were recorded are PostgreSQL's). */
export const engineOf = (e: { engine?: EngineName } | null | undefined): EngineName =>
  e?.engine ?? 'postgres';

/** One step of a migration file as the engine's own client would send it. */
export interface EngineStatement {
  /** 1-based position in the file. */
  index: number;
  /** The text sent to the server. */
  sql: string;
  /** 1-based line of the statement's first token, for failure positions. */
  line: number;
}

export interface Engine<Admin = unknown, Statement extends EngineStatement = EngineStatement> {
  /** Recorded with each checkpoint and on every result: 'postgres', 'mysql', … */
  readonly name: EngineName;
  /** For messages: "PostgreSQL", "MySQL/MariaDB". */
  readonly label: string;
  /** Other names `--engine` accepts for it ("postgresql", "pg"). */
  readonly aliases: readonly string[];
  /** URL schemes that select this engine, without the colon ("mysql", "mariadb"). */
  readonly urlSchemes: readonly string[];
  readonly defaultPort: number;
  /**
   * Split a migration file's text as the engine's client does (psql, mysql, mongosh), with the
   * positions a failure is reported at. `file` names the text in errors.
   */
  split(text: string, file?: string): Promise<Statement[]>;
  /** Quote an identifier for this engine's SQL (or query language). */
  quoteIdent(name: string): string;
  /**
   * The Result JSON's relation key for an object in a container: `<schema>.<table>` on PostgreSQL,
   * `<database>.<table>` on MySQL, `<database>.<collection>` on MongoDB.
   */
  relationKey(container: string, name: string): string;
  /** The engine's administrative statements (databases, sessions, server facts): engine-specific shape. */
  readonly admin: Admin;
}

/** The URL scheme of `url` ("mysql" for mysql://…), lower-cased, or null when it is not a URL. */
export function urlScheme(url: string): string | null {
  const m = /^([a-z][a-z0-9+.-]*):/i.exec(url.trim());
  return m?.[1] ? m[1].toLowerCase() : null;
}
