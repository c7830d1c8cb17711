/**
 * The workload file: the application's own statements, with `-- @` directives that say how to
 * fill their `$n` parameters, which writes commit, how often each runs, and the rate. Parsed with
 * the real PostgreSQL parser; every mistake is reported with its line.
 *
 *   -- @rate 200            statements per second, all workers together (file-level)
 *   -- @concurrency 2       sessions running them (file-level)
 *   -- @baseline 2000       ms of workload before the migration starts (file-level)
 *   -- @after 1000          ms of workload after it ends (file-level)
 *   -- @timeout 30000       statement_timeout of each workload statement, ms (file-level)
 *
 *   -- @name new-user       (statement-level: applies to the next statement)
 *   -- @weight 2            relative frequency (default 1)
 *   -- @commit              the write commits (default: it runs in a transaction that rolls back)
 *   -- @param $1 key users                 a value of the table's key column, drawn from across it
 *   -- @param $1 key public.users(email)   a value of that column, drawn from across the table
 *   -- @param $2 fresh uuid | fresh text user-{n}@example.com | fresh int users(id)
 *   -- @param $3 value 42 | value null      a literal
 *   INSERT INTO users (id, email) VALUES ($1, $2) RETURNING id;
 */
import { parseSync } from 'libpg-query';
import { loadParser, splitStatements } from '../collector/split.js';
import { InvalidInputError } from '../errors.js';

export interface TableRef {
  /** As written; null means "resolve with the search path". */
  schema: string | null;
  table: string;
}

export type ParamBinding =
  | { kind: 'key'; relation: TableRef; column: string | null }
  | { kind: 'fresh-uuid' }
  | { kind: 'fresh-text'; template: string }
  | { kind: 'fresh-int'; relation: TableRef; column: string }
  | { kind: 'value'; value: string | null };

export type StatementCommand = 'select' | 'insert' | 'update' | 'delete';

export interface WorkloadStatement {
  /** 1-based position in the file. */
  index: number;
  name: string;
  sql: string;
  line: number;
  command: StatementCommand;
  /** A plain SELECT reads; anything that writes or locks rows is a write. */
  kind: 'read' | 'write';
  /** Committed (and checked after the migration) instead of rolled back. */
  commit: boolean;
  weight: number;
  /** params[0] fills $1. */
  params: ParamBinding[];
  /** The table a write targets. */
  target: TableRef | null;
  returning: boolean;
}

export interface WorkloadSettings {
  /** Statements per second, all sessions together; 0 = as fast as they can. */
  rate: number;
  concurrency: number;
  baselineMs: number;
  afterMs: number;
  timeoutMs: number;
}

export interface WorkloadSpec extends WorkloadSettings {
  file: string;
  /** The SQL it was parsed as (absent: PostgreSQL). */
  dialect?: 'postgres' | 'mysql';
  statements: WorkloadStatement[];
}

export const DEFAULT_WORKLOAD: WorkloadSettings = {
  rate: 100,
  concurrency: 2,
  baselineMs: 2000,
  afterMs: 1000,
  timeoutMs: 30_000,
};

export const WORKLOAD_LIMITS = {
  rate: [0, 10_000],
  concurrency: [1, 32],
  baselineMs: [0, 600_000],
  afterMs: [0, 600_000],
  timeoutMs: [1, 600_000],
} as const satisfies Record<keyof WorkloadSettings, readonly [number, number]>;

const FILE_DIRECTIVES: Record<string, keyof WorkloadSettings> = {
  rate: 'rate',
  concurrency: 'concurrency',
  baseline: 'baselineMs',
  after: 'afterMs',
  timeout: 'timeoutMs',
};
const STATEMENT_DIRECTIVES = new Set(['name', 'weight', 'commit', 'param']);
const DIRECTIVE_RE = /^\s*--\s*@(\S+)\s*(.*?)\s*$/;
const COMMANDS: Record<string, StatementCommand> = {
  SelectStmt: 'select',
  InsertStmt: 'insert',
  UpdateStmt: 'update',
  DeleteStmt: 'delete',
};
/** `table`, `schema.table`, optionally followed by `(column)`; names may be double-quoted. */
const NAME = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)`;
const TABLE_COLUMN_RE = new RegExp(String.raw`^(${NAME})(?:\.(${NAME}))?(?:\s*\(\s*(${NAME})\s*\))?$`);

interface Directive {
  line: number;
  name: string;
  arg: string;
}

/** One statement of a workload file as a dialect reads it. */
export interface AnalysedStatement {
  index: number;
  sql: string;
  line: number;
  /** What the statement is, for messages ("CreateStmt", "CREATE"). */
  what: string;
  /** null: not an application statement. */
  command: StatementCommand | null;
  /** A SELECT that locks rows (FOR UPDATE, …) is a write. */
  locksRows: boolean;
  target: TableRef | null;
  returning: boolean;
  /** The `$n` parameters it uses. */
  params: Set<number>;
}

/** How one engine's SQL is split and read (PostgreSQL here; MySQL in src/engines/mysql/workload/). */
export interface WorkloadDialect {
  readonly name: 'postgres' | 'mysql';
  analyse(text: string, file: string): Promise<AnalysedStatement[]>;
  /** Said when a committing write has no RETURNING. */
  readonly returningHint: string;
}

/** PostgreSQL's: the real parser (libpg-query). */
export const postgresDialect: WorkloadDialect = {
  name: 'postgres',
  returningHint: 'e.g. INSERT ... RETURNING id',
  async analyse(text, file) {
    await loadParser();
    return splitStatements(text, file).map((s) => {
      const command = COMMANDS[s.kind] ?? null;
      const tree = JSON.stringify(parseSync(s.sql).stmts?.[0]?.stmt ?? {});
      const body = (JSON.parse(tree) as Record<string, Record<string, unknown>>)[s.kind] ?? {};
      return {
        index: s.index,
        sql: s.sql,
        line: s.line,
        what: s.kind,
        command,
        locksRows: command === 'select' && tree.includes('"lockingClause"'),
        target: command === null || command === 'select' ? null : relationOf(body.relation),
        returning: tree.includes('"returningList"') || tree.includes('"returningClause"'),
        params: paramNumbers(tree),
      };
    });
  },
};

/** Parse a PostgreSQL workload file. Throws InvalidInputError naming the file and line of the first mistake. */
export function parseWorkloadFile(text: string, file: string): Promise<WorkloadSpec> {
  return parseWorkload(text, file, postgresDialect);
}

/** Parse a workload file in `dialect`'s SQL; the directives are the same for every engine. */
export async function parseWorkload(
  text: string,
  file: string,
  dialect: WorkloadDialect,
): Promise<WorkloadSpec> {
  const at = (line: number) => `${file}:${line}`;
  const bad = (line: number, message: string, hint?: string) =>
    new InvalidInputError(`${at(line)}: ${message}`, hint ? { hint } : undefined);
  const statements = await dialect.analyse(text, file);
  const directives: Directive[] = [];
  text.split('\n').forEach((l, i) => {
    const m = DIRECTIVE_RE.exec(l);
    if (m) directives.push({ line: i + 1, name: m[1]!.toLowerCase(), arg: m[2] ?? '' });
  });
  const settings: WorkloadSettings = { ...DEFAULT_WORKLOAD };
  const pending = new Map<number, Directive[]>();
  for (const d of directives) {
    const setting = FILE_DIRECTIVES[d.name];
    if (setting) {
      settings[setting] = numberArg(d, WORKLOAD_LIMITS[setting], bad);
      continue;
    }
    if (!STATEMENT_DIRECTIVES.has(d.name)) {
      throw bad(
        d.line,
        `unknown directive @${d.name}`,
        'directives: @rate @concurrency @baseline @after @timeout (file), @name @weight @commit @param (statement)',
      );
    }
    const next = statements.find((s) => s.line > d.line);
    if (!next) throw bad(d.line, `@${d.name} is not followed by a statement`);
    pending.set(next.index, [...(pending.get(next.index) ?? []), d]);
  }
  const out = statements.map((s) => {
    const command = s.command;
    if (!command) {
      throw bad(
        s.line,
        `a workload holds application statements (SELECT, INSERT, UPDATE, DELETE), not ${s.what}`,
        'transactions are added by vers-db: writes roll back unless marked -- @commit',
      );
    }
    const stmt: WorkloadStatement = {
      index: s.index,
      name: `stmt${s.index}`,
      sql: s.sql,
      line: s.line,
      command,
      kind: command === 'select' && !s.locksRows ? 'read' : 'write',
      commit: false,
      weight: 1,
      params: [],
      target: command === 'select' ? null : s.target,
      returning: s.returning,
    };
    const bound = new Map<number, ParamBinding>();
    for (const d of pending.get(s.index) ?? []) {
      if (d.name === 'name') {
        if (!d.arg) throw bad(d.line, '@name needs a name');
        stmt.name = d.arg;
      } else if (d.name === 'weight') stmt.weight = numberArg(d, [1, 1000], bad);
      else if (d.name === 'commit') {
        if (d.arg) throw bad(d.line, '@commit takes no argument');
        stmt.commit = true;
      } else {
        const m = /^\$(\d+)\s+(\S+)\s*(.*)$/.exec(d.arg);
        if (!m) throw bad(d.line, `@param needs "$<n> <binding>", got "${d.arg}"`, PARAM_HINT);
        const n = Number(m[1]);
        if (bound.has(n)) throw bad(d.line, `$${n} is bound twice`);
        bound.set(n, binding(m[2]!.toLowerCase(), m[3]!, d.line, bad));
      }
    }
    for (const n of s.params) {
      if (!bound.has(n)) throw bad(s.line, `$${n} has no @param binding`, PARAM_HINT);
    }
    for (const n of bound.keys()) {
      if (!s.params.has(n)) throw bad(s.line, `@param $${n} is bound but the statement does not use $${n}`);
    }
    stmt.params = [...bound.entries()].sort((a, b) => a[0] - b[0]).map(([, b]) => b);
    if (stmt.commit) {
      if (command !== 'insert' && command !== 'update') {
        throw bad(
          s.line,
          '@commit is for INSERT and UPDATE statements (what they wrote is checked afterwards)',
        );
      }
      if (!stmt.returning) {
        throw bad(
          s.line,
          'a committing write must say RETURNING: the returned values are what is checked after the migration',
          dialect.returningHint,
        );
      }
    }
    return stmt;
  });
  const names = new Set<string>();
  for (const s of out) {
    if (names.has(s.name)) throw bad(s.line, `two statements are named "${s.name}"`);
    names.add(s.name);
  }
  return { file, dialect: dialect.name, statements: out, ...settings };
}

const PARAM_HINT =
  'bindings: key <table>[(<column>)] | fresh uuid | fresh text <template with {n}> | fresh int <table>(<column>) | value <literal>|null';

function numberArg(
  d: Directive,
  [min, max]: readonly [number, number],
  bad: (line: number, message: string) => Error,
): number {
  const n = Number(d.arg);
  if (!d.arg || !Number.isInteger(n) || n < min || n > max) {
    throw bad(d.line, `@${d.name} needs a whole number from ${min} to ${max}, got "${d.arg}"`);
  }
  return n;
}

function binding(
  kind: string,
  rest: string,
  line: number,
  bad: (line: number, message: string, hint?: string) => Error,
): ParamBinding {
  if (kind === 'value') return { kind: 'value', value: rest.toLowerCase() === 'null' ? null : rest };
  if (kind === 'key') {
    const ref = tableColumn(rest);
    if (!ref) throw bad(line, `key needs a table, optionally with (column), got "${rest}"`, PARAM_HINT);
    return { kind: 'key', relation: ref.relation, column: ref.column };
  }
  if (kind === 'fresh') {
    const [type = '', ...more] = rest.split(/\s+/);
    const arg = more.join(' ');
    if (type === 'uuid' && !arg) return { kind: 'fresh-uuid' };
    if (type === 'text') {
      if (arg && !arg.includes('{n}'))
        throw bad(line, 'a fresh text template needs {n} where the number goes');
      return { kind: 'fresh-text', template: arg || 'vers-db-{n}' };
    }
    if (type === 'int') {
      const ref = tableColumn(arg);
      if (!ref?.column) {
        throw bad(
          line,
          'fresh int needs the <table>(<column>) it must not collide with, e.g. fresh int orders(id)',
        );
      }
      return { kind: 'fresh-int', relation: ref.relation, column: ref.column };
    }
    throw bad(line, `fresh needs uuid, text or int, got "${rest}"`, PARAM_HINT);
  }
  throw bad(line, `unknown binding "${kind}"`, PARAM_HINT);
}

const unquote = (name: string): string =>
  name.startsWith('"') ? name.slice(1, -1).replaceAll('""', '"') : name.toLowerCase();

function tableColumn(text: string): { relation: TableRef; column: string | null } | null {
  const m = TABLE_COLUMN_RE.exec(text.trim());
  if (!m) return null;
  const relation = m[2]
    ? { schema: unquote(m[1]!), table: unquote(m[2]) }
    : { schema: null, table: unquote(m[1]!) };
  return { relation, column: m[3] ? unquote(m[3]) : null };
}

function relationOf(node: unknown): TableRef | null {
  const r = node as { schemaname?: string; relname?: string } | undefined;
  return r?.relname ? { schema: r.schemaname ?? null, table: r.relname } : null;
}

function paramNumbers(tree: string): Set<number> {
  return new Set([...tree.matchAll(/"ParamRef":\{[^}]*"number":(\d+)/g)].map((m) => Number(m[1])));
}
