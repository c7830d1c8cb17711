/**
 * A suite file's problems in the user's terms: each one names its path in the file
 * (`tests.migrations.branches[1].migration`), its line and column, and what was expected there
 * (unknown keys with the allowed ones, unions in the file's own words).
 */
import { type Document, isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import type * as z from 'zod';
import { SuiteFileError } from '../errors.js';
import { RawBranchSchema, RawServicesSchema, RawSuiteFileSchema, RawSuiteSchema } from './schema.js';

export type PathPart = string | number;

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

/** Every problem found in a suite file, each with its path and, where known, its line and column. */
export class Problems {
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

/** One zod issue in the file's own words: unknown keys with the allowed ones, enums with their values. */
export function describeZodIssue(issue: z.core.$ZodIssue, problems: Problems): void {
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

/** YAML with line counting; malformed YAML is one SuiteFileError listing every error with its position. */
export function parseYaml(text: string, file: string): { doc: Document; lines: LineCounter } {
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
