/**
 * Size limits of every MCP string and array input. A tool call is model output: a runaway loop
 * can send a 100 KB name or 5 000 branches. zod refuses those before any handler runs, and the
 * limits show in each tool's JSON Schema (maxLength / maxItems).
 */
import * as z from 'zod';

export const INPUT_LIMITS = {
  /** Checkpoint tags, branch names, labels, suite keys, database names. */
  nameChars: 128,
  /** Paths to files in the project. */
  pathChars: 4096,
  /** A migration given inline (SQL text or a path); larger SQL belongs in a file. */
  migrationChars: 4 * 1024 * 1024,
  /** A shell command (validation, command migration). */
  commandChars: 64 * 1024,
  /** One comparison query. */
  queryChars: 1024 * 1024,
  /** Branches compared at once. */
  branches: 64,
  /** Strategies tested at once. */
  strategies: 32,
} as const;

export const nameInput = () => z.string().max(INPUT_LIMITS.nameChars);
export const pathInput = () => z.string().max(INPUT_LIMITS.pathChars);
export const migrationInput = () => z.string().max(INPUT_LIMITS.migrationChars);
export const commandInput = () => z.string().max(INPUT_LIMITS.commandChars);
export const queryInput = () => z.string().max(INPUT_LIMITS.queryChars);
