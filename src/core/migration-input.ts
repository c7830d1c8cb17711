/**
 * Turns what the user gave (a file path, SQL text or a shell command) into a migration the
 * collector can run, and checks it before any branch is made: a missing file, an empty file, a
 * psql meta-command or a syntax error costs nothing and leaves nothing behind.
 */
import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import {
  loadParser,
  MAX_SQL_BYTES,
  type MigrationSource,
  splitStatements,
  splitStatementsOffThread,
} from '../collector/index.js';
import { InvalidInputError } from '../errors.js';
import { readTextFile } from '../util/text-file.js';
import type { MigrationInput } from './types.js';

export interface ResolvedMigration {
  name: string;
  source: MigrationSource;
}

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

function parsesAsSql(text: string): boolean {
  try {
    return splitStatements(text).length > 0;
  } catch {
    return false;
  }
}

export async function resolveMigration(
  input: MigrationInput,
  cwd: string,
  index: number,
): Promise<ResolvedMigration> {
  await loadParser(); // the parser is WebAssembly, loaded once per process
  const text = input.migration;
  if (!text?.trim()) throw new InvalidInputError(`migration ${index + 1} is empty`);
  const kind = input.kind ?? 'auto';
  const path = resolve(cwd, text.trim());
  if (
    kind === 'file' ||
    (kind === 'auto' && (looksLikePath(text) || (!text.includes('\n') && (await isFile(path)))))
  ) {
    if (!(await isFile(path))) {
      throw new InvalidInputError(`migration file not found: ${text.trim()}`, { hint: `looked for ${path}` });
    }
    const sql = await readTextFile(path, text.trim(), MAX_SQL_BYTES);
    await splitStatementsOffThread(sql, text.trim()); // throws a located error for empty files, meta-commands, syntax errors
    return {
      name: input.name ?? basename(path).replace(/\.sql$/i, ''),
      source: { kind: 'sql', sql, file: text.trim() },
    };
  }
  if (kind === 'sql' || (kind === 'auto' && parsesAsSql(text))) {
    await splitStatementsOffThread(text, 'inline SQL');
    return { name: input.name ?? `sql-${index + 1}`, source: { kind: 'sql', sql: text } };
  }
  return { name: input.name ?? `command-${index + 1}`, source: { kind: 'command', command: text } };
}
