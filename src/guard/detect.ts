/**
 * Finds the commands in a Bash command line that apply migrations: a framework's migrate command
 * (frameworks.ts), `psql -f <file>` / `psql < file`, and, one level down, the same inside the npm
 * script or make target the line runs. Follows `cd dir &&` and `bash -c '…'`.
 */
import { isAbsolute, resolve } from 'node:path';
import { FRAMEWORKS, type Framework } from './frameworks.js';
import { expandRunner } from './scripts.js';
import {
  baseName,
  isTextProgram,
  matchText,
  programWords,
  type SimpleCommand,
  splitCommands,
  type Word,
} from './shell.js';

export interface MigrationCommand {
  /** The framework, or null for psql applying named files. */
  framework: Framework | null;
  /** psql: the files it applies (absolute). */
  files: string[];
  /** The directory the command runs in. */
  cwd: string;
  /** The simple command as written. */
  text: string;
}

const SHELLS = new Set(['bash', 'sh', 'zsh', 'dash']);

function psqlFiles(words: readonly Word[], stdin: string | null, cwd: string): string[] {
  const files: string[] = [];
  const args = words.slice(1).map((w) => w.text);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    let file: string | undefined;
    if (a === '-f' || a === '--file') file = args[++i];
    else if (a.startsWith('--file=')) file = a.slice('--file='.length);
    else if (/^-[^-]*f./.test(a) && !a.startsWith('--')) file = a.slice(a.indexOf('f') + 1);
    if (file && file !== '-') files.push(file);
  }
  if (stdin) files.push(stdin);
  return files.map((f) => (isAbsolute(f) ? f : resolve(cwd, f)));
}

function inspect(cmd: SimpleCommand, cwd: string, depth: number, found: MigrationCommand[]): string {
  const words = programWords(cmd);
  if (words.length === 0 || isTextProgram(words)) return cwd;
  const program = baseName(words[0]!.text);
  const text = words.map((w) => w.text).join(' ');
  if (program === 'cd') return words[1] ? resolve(cwd, words[1].text) : cwd;
  if (SHELLS.has(program)) {
    const script = words.findIndex((w) => w.text === '-c' || /^-[a-z]*c$/.test(w.text));
    if (script >= 0 && words[script + 1]) scan(words[script + 1]!.text, cwd, depth, found);
    return cwd;
  }
  const psql = words.findIndex((w) => baseName(w.text) === 'psql');
  if (psql >= 0) {
    const files = psqlFiles(words.slice(psql), cmd.stdin, cwd);
    if (files.length) found.push({ framework: null, files, cwd, text });
    return cwd;
  }
  const line = matchText(words);
  const framework = FRAMEWORKS.find((f) => f.command.test(line));
  if (framework) {
    found.push({ framework, files: [], cwd, text });
    return cwd;
  }
  if (depth === 0) {
    const expansion = expandRunner(words, cwd);
    for (const l of expansion?.lines ?? []) scan(l, expansion!.cwd, depth + 1, found);
  }
  return cwd;
}

function scan(line: string, cwd: string, depth: number, found: MigrationCommand[]): void {
  let dir = cwd;
  for (const cmd of splitCommands(line)) dir = inspect(cmd, dir, depth, found);
}

/** Every migration-applying command in the line (empty for anything else). */
export function detectMigrationCommands(line: string, cwd: string): MigrationCommand[] {
  const found: MigrationCommand[] = [];
  scan(line, cwd, 0, found);
  return found;
}
