/**
 * Which migration contents have passed a vers-db test: `tested.json` in the state directory, keyed
 * by the SHA-256 of the migration's text. Every test whose strategy passed and was not rejected
 * adds its migration here (tested-record.ts); the guard hook (src/guard/) reads it to decide
 * whether a command about to apply migrations applies untested ones. Reading needs only node:fs,
 * so the hook's bundle stays small.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const TESTED_FILE = 'tested.json';

export interface TestedEntry {
  /** Where the content was read from (project-relative), or null for inline SQL. */
  path: string | null;
  strategy: string;
  baseline: string;
  backend: string;
  at: string;
}

export interface TestedData {
  version: 1;
  files: Record<string, TestedEntry>;
}

/** The key of a migration: SHA-256 of its text (read as UTF-8, as both recorder and hook read it). */
export const contentHash = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

export const testedFile = (stateDir: string): string => join(stateDir, TESTED_FILE);

/** The recorded tests; a missing or unreadable file is an empty record (nothing counts as tested). */
export function readTested(stateDir: string): TestedData {
  try {
    const data = JSON.parse(readFileSync(testedFile(stateDir), 'utf8')) as Partial<TestedData>;
    if (data && typeof data.files === 'object' && data.files !== null)
      return { version: 1, files: data.files };
  } catch {
    // fall through
  }
  return { version: 1, files: {} };
}
