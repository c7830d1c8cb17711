/**
 * The meaning of one suite's branches: which pattern each one is (by the key that says what to
 * run), keys that belong to another pattern, files that must exist next to the suite file,
 * metrics the pattern knows.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { knownMetrics, metricInfo } from './metrics.js';
import { formatPath, type PathPart, type Problems } from './problems.js';
import { SUITE_PATTERNS, type SuitePattern } from './result.js';
import type { Branch, Expectation, NumberSourceSpec, RawBranch, RawSuite, Step } from './schema.js';

export const DEFAULT_WARMUP = 3;
export const DEFAULT_ITERATIONS = 20;

const PATTERN_KEYS: Record<SuitePattern, string> = {
  migrations: 'migration',
  rollback: 'steps',
  etl: 'command',
  performance: 'queries',
};
/** Keys that only make sense in one pattern. */
const KEY_PATTERN: Record<string, SuitePattern[]> = {
  migration: ['migrations'],
  validation: ['migrations', 'etl'],
  steps: ['rollback'],
  expect: ['rollback'],
  command: ['etl'],
  target: ['etl'],
  quality: ['etl'],
  lag: ['etl'],
  setup: ['performance'],
  queries: ['performance'],
  warmup: ['performance'],
  iterations: ['performance'],
};

function patternOfBranch(b: RawBranch): SuitePattern[] {
  return SUITE_PATTERNS.filter((p) => (b as Record<string, unknown>)[PATTERN_KEYS[p]] !== undefined);
}

/** A migration given as a file (ends in .sql, one word) must exist next to the suite file. */
function looksLikeFile(text: string): boolean {
  const t = text.trim();
  return /\.sql$/i.test(t) && !/\s/.test(t);
}

function resolveMigrationRef(
  text: string,
  dir: string,
  path: readonly PathPart[],
  problems: Problems,
): { migration: string; file: string | null } {
  const t = text.trim();
  const abs = resolve(dir, t);
  if (looksLikeFile(t)) {
    if (!existsSync(abs) || !statSync(abs).isFile()) problems.add(path, `file not found (${t})`);
    return { migration: abs, file: abs };
  }
  // One line that names an existing file is a file too; anything else is SQL text or a command.
  if (!t.includes('\n') && existsSync(abs) && statSync(abs).isFile()) return { migration: abs, file: abs };
  return { migration: text, file: null };
}

function numberSource(src: RawBranch['quality']): NumberSourceSpec | null {
  if (!src) return null;
  return 'sql' in src ? { sql: src.sql } : { command: src.command };
}

function checkMetrics(
  pattern: SuitePattern,
  b: RawBranch,
  path: readonly PathPart[],
  problems: Problems,
): string[] {
  const metrics = b.metrics ?? [];
  metrics.forEach((m, i) => {
    if (!metricInfo(pattern, m)) {
      problems.add(
        [...path, 'metrics', i],
        `unknown metric "${m}" for the ${pattern} pattern; known: ${knownMetrics(pattern).join(', ')}`,
      );
    }
  });
  const seen = new Set<string>();
  metrics.forEach((m, i) => {
    if (seen.has(m)) problems.add([...path, 'metrics', i], `metric "${m}" is listed twice`);
    seen.add(m);
  });
  return metrics;
}

/** One branch of a suite whose pattern is known: files resolved, keys of other patterns refused. */
export function buildBranch(
  pattern: SuitePattern,
  raw: RawSuite,
  b: RawBranch,
  path: readonly PathPart[],
  dir: string,
  problems: Problems,
): Branch | null {
  for (const [key, patterns] of Object.entries(KEY_PATTERN)) {
    if ((b as Record<string, unknown>)[key] !== undefined && !patterns.includes(pattern)) {
      problems.add(
        [...path, key],
        `"${key}" belongs to the ${patterns.join('/')} pattern, but this suite is a ${pattern} suite`,
      );
    }
  }
  const metrics = checkMetrics(pattern, b, path, problems);
  const base = { name: b.name, description: b.description ?? null, metrics, path: formatPath(path) };
  switch (pattern) {
    case 'migrations': {
      const ref = resolveMigrationRef(b.migration!, dir, [...path, 'migration'], problems);
      return { ...base, pattern, migration: ref.migration, validation: b.validation ?? null };
    }
    case 'rollback': {
      const steps: Step[] = (b.steps ?? []).map((s, i) => {
        if ('validation' in s) return { kind: 'validation', command: s.validation };
        const key = 'migration' in s ? 'migration' : 'rollback';
        const text = 'migration' in s ? s.migration : s.rollback;
        const ref = resolveMigrationRef(text, dir, [...path, 'steps', i, key], problems);
        return { kind: key, migration: ref.migration, file: ref.file };
      });
      if (!steps.some((s) => s.kind === 'migration'))
        problems.add([...path, 'steps'], 'needs a {migration: ...} step');
      if (!steps.some((s) => s.kind === 'rollback'))
        problems.add([...path, 'steps'], 'needs a {rollback: ...} step');
      const expect: Expectation[] = (b.expect ?? []).map((e) =>
        'data_preserved' in e
          ? { kind: 'data_preserved', value: e.data_preserved }
          : { kind: 'schema_matches', checkpoint: e.schema_matches },
      );
      return { ...base, pattern, steps, expect };
    }
    case 'etl': {
      const target = b.target === undefined ? [] : Array.isArray(b.target) ? b.target : [b.target];
      return {
        ...base,
        pattern,
        command: b.command!,
        target,
        quality: numberSource(b.quality),
        lag: numberSource(b.lag),
        validation: b.validation ?? null,
      };
    }
    case 'performance': {
      const queries = resolve(dir, b.queries!.trim());
      if (!existsSync(queries) || !statSync(queries).isFile()) {
        problems.add([...path, 'queries'], `file not found (${b.queries!.trim()})`);
      }
      const setup = b.setup === undefined ? [] : Array.isArray(b.setup) ? b.setup : [b.setup];
      return {
        ...base,
        pattern,
        setup,
        queries,
        warmup: b.warmup ?? raw.warmup ?? DEFAULT_WARMUP,
        iterations: b.iterations ?? raw.iterations ?? DEFAULT_ITERATIONS,
      };
    }
  }
}

/** The suite's pattern: given, or the one its branches agree on. */
export function decidePattern(name: string, raw: RawSuite, problems: Problems): SuitePattern | null {
  const path = ['tests', name];
  const kinds = raw.branches.map((b, i) => {
    const found = patternOfBranch(b);
    if (found.length === 0) {
      problems.add(
        [...path, 'branches', i],
        'says nothing to run: give migration (migrations pattern), steps (rollback), command (ETL) or queries (performance)',
      );
    } else if (found.length > 1) {
      problems.add(
        [...path, 'branches', i],
        `mixes patterns: ${found.map((p) => `${PATTERN_KEYS[p]} (${p})`).join(' and ')}; a branch does one kind of thing`,
      );
    }
    return found.length === 1 ? found[0]! : null;
  });
  const distinct = [...new Set(kinds.filter((k): k is SuitePattern => k !== null))];
  if (raw.pattern) {
    kinds.forEach((k, i) => {
      if (k && k !== raw.pattern) {
        problems.add(
          [...path, 'branches', i],
          `is a ${k} branch (it has ${PATTERN_KEYS[k]}), but the suite's pattern is ${raw.pattern}`,
        );
      }
    });
    return raw.pattern;
  }
  if (distinct.length > 1) {
    problems.add(path, `its branches mix patterns (${distinct.join(', ')}); split them into separate suites`);
    return null;
  }
  return distinct[0] ?? null;
}
