/**
 * Turns what the user gave (a file path or SQL text; a shell command only when asked for with
 * kind "command") into a migration the collector can run, and checks it before any branch is
 * made: a missing file, an empty file, a psql meta-command or a syntax error costs nothing and
 * leaves nothing behind. SQL that fails to parse is a SQL error with its position, never a shell
 * command: a typo (`ADD COLUM`) or text with `$(…)` in it must not reach bash.
 */
import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { loadParser, MAX_SQL_BYTES, type MigrationSource } from '../collector/index.js';
import { DEFAULT_ENGINE, engineByName } from '../engines/index.js';
import { InvalidInputError } from '../errors.js';
import type { EngineName } from '../result.js';
import { readTextFile } from '../util/text-file.js';
import type { MigrationInput } from './types.js';

export interface ResolvedMigration {
  name: string;
  source: MigrationSource;
}

export const MIGRATION_KINDS = ['auto', 'file', 'sql', 'command'] as const;
export type MigrationKind = (typeof MIGRATION_KINDS)[number];

const COMMAND_HINT =
  'to run a shell command instead (an ETL job, `npm run migrate`), say so: --kind command (MCP: kind: "command"; suite: command:)';

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function looksLikePath(text: string): boolean {
  return /\.sql$/i.test(text.trim()) && !/\s/.test(text.trim());
}

/** Split, turning a parse error into one that also says how to ask for a shell command. */
async function checkSql(
  sql: string,
  label: string,
  mentionCommand: boolean,
  engine: EngineName,
): Promise<void> {
  try {
    // Split as the engine's own client would: a located error for meta-commands and syntax errors.
    const statements = await engineByName(engine).split(sql, label);
    if (statements.length === 0) throw new InvalidInputError(`${label} holds no SQL statement`);
  } catch (err) {
    if (mentionCommand && err instanceof InvalidInputError) {
      throw new InvalidInputError(err.message, { hint: `${err.hint ? `${err.hint}; ` : ''}${COMMAND_HINT}` });
    }
    throw err;
  }
}

export async function resolveMigration(
  input: MigrationInput,
  cwd: string,
  index: number,
  engine: EngineName = DEFAULT_ENGINE,
): Promise<ResolvedMigration> {
  await loadParser(); // the parser is WebAssembly, loaded once per process
  const text = input.migration;
  if (!text?.trim()) throw new InvalidInputError(`migration ${index + 1} is empty`);
  const kind: MigrationKind = input.kind ?? 'auto';
  if (!MIGRATION_KINDS.includes(kind)) {
    throw new InvalidInputError(`unknown migration kind ${JSON.stringify(kind)}`, {
      hint: `use one of ${MIGRATION_KINDS.join(', ')}`,
    });
  }
  // A shell command runs only when the caller said so: it is trusted code, never a fallback.
  if (kind === 'command') {
    return { name: input.name ?? `command-${index + 1}`, source: { kind: 'command', command: text } };
  }
  const path = resolve(cwd, text.trim());
  if (
    kind === 'file' ||
    (kind === 'auto' && (looksLikePath(text) || (!text.includes('\n') && (await isFile(path)))))
  ) {
    if (!(await isFile(path))) {
      throw new InvalidInputError(`migration file not found: ${text.trim()}`, { hint: `looked for ${path}` });
    }
    const sql = await readTextFile(path, text.trim(), MAX_SQL_BYTES);
    await checkSql(sql, text.trim(), false, engine);
    return {
      name: input.name ?? basename(path).replace(/\.sql$/i, ''),
      source: { kind: 'sql', sql, file: text.trim() },
    };
  }
  // auto or sql: the text is SQL, and it must parse.
  await checkSql(text, `${input.name ?? `migration ${index + 1}`} (inline SQL)`, kind === 'auto', engine);
  return { name: input.name ?? `sql-${index + 1}`, source: { kind: 'sql', sql: text } };
}
