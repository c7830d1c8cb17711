/**
 * One level through the task runners: what `npm run X` (yarn, pnpm, bun) and `make X` would run,
 * read from package.json scripts and Makefile recipes. Nothing is executed.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { baseName, type Word } from './shell.js';

export interface Expansion {
  /** The lines the runner would run. */
  lines: string[];
  /** Where they run. */
  cwd: string;
}

const readText = (path: string): string | null => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
};

/** yarn/pnpm subcommands that are not script names. */
const RUNNER_BUILTINS = new Set([
  'install',
  'add',
  'remove',
  'upgrade',
  'up',
  'exec',
  'dlx',
  'create',
  'init',
  'info',
  'why',
  'link',
  'unlink',
  'publish',
  'config',
  'cache',
  'list',
  'ls',
  'outdated',
  'audit',
  'i',
]);

function scriptName(program: string, args: string[]): string | null {
  const positional = args.filter((a) => !a.startsWith('-'));
  const [first, second] = positional;
  if (!first) return null;
  if (first === 'run' || first === 'run-script') return second ?? null;
  if (program === 'npm') return ['start', 'test', 'stop', 'restart'].includes(first) ? first : null;
  if (program === 'bun') return null;
  return RUNNER_BUILTINS.has(first) ? null : first;
}

function npmScript(words: readonly Word[], cwd: string): Expansion | null {
  const program = baseName(words[0]!.text);
  const name = scriptName(
    program,
    words.slice(1).map((w) => w.text),
  );
  if (!name) return null;
  const text = readText(join(cwd, 'package.json'));
  if (!text) return null;
  const scripts = (JSON.parse(text) as { scripts?: Record<string, unknown> }).scripts ?? {};
  const lines = [`pre${name}`, name, `post${name}`]
    .map((s) => scripts[s])
    .filter((s): s is string => typeof s === 'string');
  return lines.length ? { lines, cwd } : null;
}

/** The recipe lines of the named targets (the first target when none is named). */
export function makeRecipes(makefile: string, targets: readonly string[]): string[] {
  const recipes = new Map<string, string[]>();
  let first: string | null = null;
  let current: string[] | null = null;
  for (const raw of makefile.split('\n')) {
    if (raw.startsWith('\t')) {
      if (current)
        current.push(
          raw
            .slice(1)
            .replace(/^[@+-]+/, '')
            .trim(),
        );
      continue;
    }
    const rule = /^([^\s:#=][^:=]*?)\s*::?(?!=)/.exec(raw);
    if (!rule) {
      if (raw.trim() && !raw.trim().startsWith('#')) current = null;
      continue;
    }
    current = [];
    for (const target of rule[1]!.split(/\s+/)) {
      if (!target.startsWith('.')) first ??= target;
      recipes.set(target, current);
    }
  }
  const wanted = targets.length ? targets : first ? [first] : [];
  return wanted.flatMap((t) => recipes.get(t) ?? []).filter(Boolean);
}

function makeTargets(words: readonly Word[], cwd: string): Expansion | null {
  let dir = cwd;
  let file: string | null = null;
  const targets: string[] = [];
  const args = words.slice(1).map((w) => w.text);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-C' || a === '--directory') dir = resolve(dir, args[++i] ?? '.');
    else if (a === '-f' || a === '--file' || a === '--makefile') file = args[++i] ?? null;
    else if (a.startsWith('-') || a.includes('=')) continue;
    else targets.push(a);
  }
  const candidates = file
    ? [resolve(dir, file)]
    : ['GNUmakefile', 'makefile', 'Makefile'].map((f) => join(dir, f));
  for (const path of candidates) {
    const text = readText(path);
    if (text !== null) {
      const lines = makeRecipes(text, targets);
      return lines.length ? { lines, cwd: dir } : null;
    }
  }
  return null;
}

/** What a task-runner invocation runs, or null when it is not one (or names nothing found). */
export function expandRunner(words: readonly Word[], cwd: string): Expansion | null {
  const program = baseName(words[0]?.text ?? '');
  if (['npm', 'yarn', 'pnpm', 'bun'].includes(program)) return npmScript(words, cwd);
  if (program === 'make' || program === 'gmake') return makeTargets(words, cwd);
  return null;
}
