/**
 * Reads `vers-integration.yaml`: YAML (errors with line and column) → the raw zod schema (errors
 * with the path in the file, unknown keys named, allowed values listed) → meaning (which pattern
 * each suite is, files that must exist relative to the suite file, duplicate branch names,
 * `after:` references, metrics, thresholds). Every problem is collected and thrown as one
 * SuiteFileError, so a user fixes the file in one pass.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { type Document, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type * as z from 'zod';
import { parseThreshold, ThresholdSyntaxError } from '../analysis/thresholds.js';
import { NotFoundError, SuiteFileError } from '../errors.js';
import { readTextFile } from '../util/text-file.js';
import type { WorkloadInput } from '../workload/index.js';
import { toWorkloadInput } from '../workload/input.js';
import { knownMetrics, metricInfo } from './metrics.js';
import { SUITE_PATTERNS, type SuitePattern } from './result.js';
import {
  type Branch,
  type CheckpointSpec,
  type Expectation,
  type NumberSourceSpec,
  type RawBranch,
  RawBranchSchema,
  RawServicesSchema,
  type RawSuite,
  type RawSuiteFile,
  RawSuiteFileSchema,
  RawSuiteSchema,
  type Step,
  type Suite,
  type SuiteFile,
} from './schema.js';

export const DEFAULT_SUITE_FILE = 'vers-integration.yaml';
export const DEFAULT_WARMUP = 3;
export const DEFAULT_ITERATIONS = 20;
/** A suite file is configuration: a few KB. Anything near this is a mistake (a data file passed by -f). */
export const MAX_SUITE_FILE_BYTES = 4 * 1024 * 1024;

type PathPart = string | number;

/** tests.migrations.branches[1].migration */
export function formatPath(path: readonly PathPart[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${part}` : part;
  }
  return out || '(top level)';
}

/** Which keys a strict object at this path allows, for "unknown key" messages. */
function allowedKeysAt(path: readonly PathPart[]): string[] | null {
  const p = path.map((x) => (typeof x === 'number' ? '#' : x));
  const at = (...shape: string[]) =>
    p.length === shape.length && shape.every((s, i) => s === '*' || s === p[i]);
  if (at()) return RawSuiteFileSchema.keyof().options;
  if (at('vm')) return ['memory_mib', 'vcpu', 'storage_mib'];
  if (at('services')) return RawServicesSchema.keyof().options;
  if (at('services', 'postgres')) return ['template', 'config'];
  if (at('services', 'postgres', 'config')) return ['databases', 'extensions', 'settings'];
  if (at('tests', '*')) return RawSuiteSchema.keyof().options;
  if (at('tests', '*', 'branches', '#')) return RawBranchSchema.keyof().options;
  if (at('tests', '*', 'compare')) return ['baseline', 'threshold'];
  if (at('checkpoints', '#')) return ['name', 'after'];
  return null;
}

/** What a union at this path accepts, in the file's own words. */
function unionHintAt(path: readonly PathPart[]): string | null {
  const last = path[path.length - 1];
  const parent = path[path.length - 2];
  if (parent === 'steps')
    return 'each step is one of {migration: <file>}, {validation: <command>}, {rollback: <file>}';
  if (parent === 'expect')
    return 'each expectation is one of {data_preserved: true|false}, {schema_matches: <checkpoint>}';
  if (last === 'quality' || last === 'lag')
    return 'expected {sql: <query returning one number>} or {command: <command printing one number>}';
  if (last === 'setup') return 'expected a SQL statement or a list of them';
  if (last === 'target') return 'expected a table name or a list of table names';
  if (last === 'parallel') return 'expected true, false or a number of branches to run at once';
  if (last === 'version') return 'expected a version string such as 1.0.0';
  return null;
}

class Problems {
  readonly list: string[] = [];
  constructor(
    private readonly doc: Document | null,
    private readonly lines: LineCounter | null,
  ) {}

  /** " (line 12, column 5)": the key of a map entry, else the node at the path or its nearest ancestor. */
  private where(path: readonly PathPart[]): string {
    if (!this.doc || !this.lines) return '';
    const last = path[path.length - 1];
    const parent = this.doc.getIn(path.slice(0, -1), true);
    if (typeof last === 'string' && isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === last);
      const range = pair && isScalar(pair.key) ? pair.key.range : undefined;
      if (range) {
        const { line, col } = this.lines.linePos(range[0]);
        return ` (line ${line}, column ${col})`;
      }
    }
    for (let n = path.length; n >= 0; n--) {
      const node = this.doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === 'object' && node.range) {
        const { line, col } = this.lines.linePos(node.range[0]);
        return ` (line ${line}, column ${col})`;
      }
    }
    return '';
  }

  add(path: readonly PathPart[], message: string): void {
    this.list.push(`${formatPath(path)}: ${message}${this.where(path)}`);
  }
}

function describeZodIssue(issue: z.core.$ZodIssue, problems: Problems): void {
  const path = issue.path.filter((p): p is PathPart => typeof p === 'string' || typeof p === 'number');
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeysAt(path);
      for (const key of issue.keys) {
        problems.add([...path, key], `unknown key${allowed ? ` (allowed here: ${allowed.join(', ')})` : ''}`);
      }
      return;
    }
    case 'invalid_union': {
      problems.add(path, unionHintAt(path) ?? issue.message);
      return;
    }
    case 'invalid_value': {
      problems.add(path, `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`);
      return;
    }
    case 'invalid_type': {
      const expected = issue.expected;
      problems.add(path, issue.input === undefined ? `is required (${expected})` : `expected ${expected}`);
      return;
    }
    default:
      problems.add(path, issue.message);
  }
}

// ---- meaning

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

function buildBranch(
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

function decidePattern(name: string, raw: RawSuite, problems: Problems): SuitePattern | null {
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

const AFTER = /^tests\.([^.[\]]+)\.setup\[(\d+)\]$/;

function buildSuites(raw: RawSuiteFile, dir: string, problems: Problems): Suite[] {
  const suites: Suite[] = [];
  for (const [name, rs] of Object.entries(raw.tests)) {
    const path = ['tests', name];
    const pattern = decidePattern(name, rs, problems);
    const seen = new Map<string, number>();
    rs.branches.forEach((b, i) => {
      const first = seen.get(b.name);
      if (first !== undefined) {
        problems.add(
          [...path, 'branches', i, 'name'],
          `duplicate branch name "${b.name}" (also branches[${first}])`,
        );
      } else seen.set(b.name, i);
    });
    if (!pattern) continue;
    const branches = rs.branches
      .map((b, i) => buildBranch(pattern, rs, b, [...path, 'branches', i], dir, problems))
      .filter((b): b is Branch => b !== null);

    let compare: Suite['compare'] = null;
    if (rs.compare) {
      if (!seen.has(rs.compare.baseline)) {
        problems.add(
          [...path, 'compare', 'baseline'],
          `names no branch of this suite; branches: ${[...seen.keys()].join(', ')}`,
        );
      }
      const thresholds: NonNullable<Suite['compare']>['thresholds'] = [];
      for (const [metric, value] of Object.entries(rs.compare.threshold ?? {})) {
        const tpath = [...path, 'compare', 'threshold', metric];
        const info = metricInfo(pattern, metric);
        if (!info) {
          problems.add(
            tpath,
            `unknown metric "${metric}" for the ${pattern} pattern; known: ${knownMetrics(pattern).join(', ')}`,
          );
          continue;
        }
        if (!branches.every((b) => b.metrics.includes(metric))) {
          const missing = branches.filter((b) => !b.metrics.includes(metric)).map((b) => b.name);
          problems.add(
            tpath,
            `every branch must measure ${metric} for this threshold; missing in: ${missing.join(', ')}`,
          );
        }
        try {
          thresholds.push({ metric, threshold: parseThreshold(value, info.worse, info.unit === 'ms') });
        } catch (err) {
          if (!(err instanceof ThresholdSyntaxError)) throw err;
          problems.add(tpath, err.message);
        }
      }
      compare = { baseline: rs.compare.baseline, thresholds };
    }

    suites.push({
      name,
      pattern,
      description: rs.description ?? null,
      setup: rs.setup ?? [],
      checkpoint: rs.checkpoint ?? `${name}-baseline`,
      checkpointGiven: rs.checkpoint !== undefined,
      parallel: rs.parallel ?? null,
      branches,
      compare,
      workload: suiteWorkload(rs, pattern, dir, path, problems),
      superuser: rs.superuser ?? false,
    });
  }
  return suites;
}

/** `workload:` (migrations suites only): the file resolves against the suite file's directory. */
function suiteWorkload(
  rs: RawSuite,
  pattern: SuitePattern,
  dir: string,
  path: PathPart[],
  problems: Problems,
): WorkloadInput | null {
  const input = toWorkloadInput(rs.workload);
  if (!input) return null;
  if (pattern !== 'migrations') {
    problems.add([...path, 'workload'], `a workload runs with migrations suites, not ${pattern}`);
    return null;
  }
  return { ...input, file: resolve(dir, input.file) };
}

function buildCheckpoints(raw: RawSuiteFile, problems: Problems): CheckpointSpec[] {
  const out: CheckpointSpec[] = [];
  const seen = new Map<string, number>();
  (raw.checkpoints ?? []).forEach((c, i) => {
    const path = ['checkpoints', i];
    const first = seen.get(c.name);
    if (first !== undefined)
      problems.add([...path, 'name'], `duplicate checkpoint name "${c.name}" (also checkpoints[${first}])`);
    seen.set(c.name, i);
    const m = AFTER.exec(c.after.trim());
    if (!m) {
      problems.add(
        [...path, 'after'],
        `"${c.after}" is not a reference; expected tests.<suite>.setup[<index>]`,
      );
      return;
    }
    const suite = m[1]!;
    const index = Number(m[2]);
    const rs = raw.tests[suite];
    if (!rs) {
      problems.add(
        [...path, 'after'],
        `"${c.after}" points nowhere: there is no suite "${suite}" (suites: ${Object.keys(raw.tests).join(', ')})`,
      );
      return;
    }
    const n = rs.setup?.length ?? 0;
    if (index >= n) {
      problems.add(
        [...path, 'after'],
        `"${c.after}" points nowhere: tests.${suite}.setup has ${n} command(s)${n > 0 ? ` (setup[0]..setup[${n - 1}])` : ''}`,
      );
      return;
    }
    out.push({ name: c.name, after: { suite, index, raw: c.after.trim() } });
  });
  return out;
}

/** A suite's checkpoint written in the file must be taken somewhere: by its setup, by an `after:`, or exist already. */
function checkSuiteCheckpoints(suites: Suite[], checkpoints: CheckpointSpec[], problems: Problems): void {
  for (const s of suites) {
    const named = checkpoints.find((c) => c.name === s.checkpoint);
    if (named?.after && named.after.suite !== s.name) {
      // Taken during another suite's setup: that suite must run first, which the runner orders.
      continue;
    }
    if (named?.after && named.after.index !== s.setup.length - 1) {
      problems.add(
        ['tests', s.name, 'checkpoint'],
        `"${s.checkpoint}" is taken after ${named.after.raw}, before the rest of this suite's setup; ` +
          'its branches would not see the later setup commands',
      );
    }
  }
}

function parseYaml(text: string, file: string): { doc: Document; lines: LineCounter } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => {
      const pos = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
      const where = pos ? `line ${pos.line}, column ${pos.col}` : 'somewhere';
      return `malformed YAML at ${where}: ${e.message.split('\n')[0]}`;
    });
    throw new SuiteFileError(file, issues);
  }
  return { doc, lines };
}

/** Load, check and resolve a suite file. Throws SuiteFileError listing every problem. */
export async function loadSuiteFile(file: string, cwd = process.cwd()): Promise<SuiteFile> {
  const abs = resolve(cwd, file);
  let text: string;
  try {
    text = await readTextFile(abs, file, MAX_SUITE_FILE_BYTES);
  } catch (err) {
    if (err instanceof NotFoundError) {
      throw new NotFoundError(`suite file not found: ${file}`, {
        hint: `looked for ${abs}; pass -f <file> or create ${DEFAULT_SUITE_FILE}`,
      });
    }
    throw err;
  }
  return parseSuiteText(text, abs);
}

/** The same as loadSuiteFile for text already read; `file` is its absolute path. */
export function parseSuiteText(text: string, file: string): SuiteFile {
  const { doc, lines } = parseYaml(text, file);
  const problems = new Problems(doc, lines);
  const contents = doc.toJS() as unknown;
  if (
    contents === null ||
    contents === undefined ||
    (!isMap(doc.contents) && !isSeq(doc.contents) && typeof contents !== 'object')
  ) {
    throw new SuiteFileError(file, ['the file is empty or not a mapping; expected name:, tests: ...']);
  }
  const parsed = RawSuiteFileSchema.safeParse(contents);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) describeZodIssue(issue, problems);
    throw new SuiteFileError(file, problems.list);
  }
  const raw = parsed.data;
  const dir = dirname(file);
  const suites = buildSuites(raw, dir, problems);
  const checkpoints = buildCheckpoints(raw, problems);
  checkSuiteCheckpoints(suites, checkpoints, problems);
  if (problems.list.length > 0) throw new SuiteFileError(file, problems.list);

  const pg = raw.services?.postgres;
  const template = pg?.template ?? null;
  const major = template?.includes('@') ? Number(template.split('@')[1]) : null;
  return {
    file,
    dir,
    name: raw.name ?? basename(file).replace(/\.ya?ml$/i, ''),
    version: raw.version === undefined ? null : String(raw.version),
    services: {
      template,
      majorVersion: major,
      databases: pg?.config?.databases ?? [],
      extensions: pg?.config?.extensions ?? [],
      settings: Object.fromEntries(
        Object.entries(pg?.config?.settings ?? {}).map(([k, v]) => [k, String(v)]),
      ),
    },
    vm: {
      memoryMib: raw.vm?.memory_mib ?? null,
      vcpu: raw.vm?.vcpu ?? null,
      storageMib: raw.vm?.storage_mib ?? null,
    },
    suites,
    checkpoints,
  };
}
