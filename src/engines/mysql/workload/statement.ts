/**
 * The workload file's statements in MySQL/MariaDB SQL (src/workload/file.ts's format, the same
 * `-- @` directives and `$n` parameters): split as the `mysql` client does (split.ts), then read
 * token by token — strings, comments and backquoted names skipped — for the command, the table a
 * write targets, RETURNING, row locks and the `$n` it uses. `bindParams` puts the values in as
 * string literals in hex (`_utf8mb4 X'…'`: no escaping, whatever the SQL mode), so the text
 * protocol returns every value as the server's own text.
 */
import { InvalidInputError } from '../../../errors.js';
import type {
  AnalysedStatement,
  StatementCommand,
  TableRef,
  WorkloadDialect,
} from '../../../workload/file.js';
import { splitMysql } from '../split.js';

interface Token {
  kind: 'word' | 'name' | 'param' | 'punct';
  /** Words as written; backquoted names unquoted. */
  text: string;
  start: number;
  end: number;
  /** Parenthesis depth. */
  depth: number;
}

const WORD_CHAR = /[0-9A-Za-z_$\u0080-\uffff]/;
const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f';

/** The end of a quoted run starting at `i` (the quote), backslash escapes and doubled quotes allowed. */
function skipQuoted(sql: string, i: number, quote: string, escapes: boolean): number {
  let j = i + 1;
  while (j < sql.length) {
    const c = sql[j];
    if (escapes && c === '\\') j += 2;
    else if (c === quote && sql[j + 1] === quote) j += 2;
    else if (c === quote) return j + 1;
    else j++;
  }
  return j;
}

export function lexMysql(sql: string): Token[] {
  const tokens: Token[] = [];
  let depth = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i] as string;
    const next = sql[i + 1];
    if (isSpace(c)) i++;
    else if (c === "'" || c === '"') i = skipQuoted(sql, i, c, true);
    else if (
      c === '#' ||
      (c === '-' && next === '-' && (sql.charCodeAt(i + 2) <= 32 || i + 2 >= sql.length))
    ) {
      const eol = sql.indexOf('\n', i);
      i = eol < 0 ? sql.length : eol + 1;
    } else if (c === '/' && next === '*' && (sql[i + 2] === '!' || sql[i + 2] === '+')) {
      // Executable comment or hint: its content is code; the version number is not.
      i += 3;
      while (i < sql.length && /[0-9]/.test(sql[i] as string)) i++;
    } else if (c === '*' && next === '/') i += 2;
    else if (c === '/' && next === '*') {
      const close = sql.indexOf('*/', i + 2);
      i = close < 0 ? sql.length : close + 2;
    } else if (c === '`') {
      const end = skipQuoted(sql, i, '`', false);
      tokens.push({
        kind: 'name',
        text: sql.slice(i + 1, end - 1).replaceAll('``', '`'),
        start: i,
        end,
        depth,
      });
      i = end;
    } else if (WORD_CHAR.test(c)) {
      let j = i + 1;
      while (j < sql.length && WORD_CHAR.test(sql[j] as string)) j++;
      const text = sql.slice(i, j);
      tokens.push({ kind: /^\$\d+$/.test(text) ? 'param' : 'word', text, start: i, end: j, depth });
      i = j;
    } else {
      if (c === ')') depth = Math.max(0, depth - 1);
      tokens.push({ kind: 'punct', text: c, start: i, end: i + 1, depth });
      if (c === '(') depth++;
      i++;
    }
  }
  return tokens;
}

const COMMANDS: Record<string, StatementCommand> = {
  SELECT: 'select',
  WITH: 'select',
  INSERT: 'insert',
  REPLACE: 'insert',
  UPDATE: 'update',
  DELETE: 'delete',
};
const MODIFIERS = new Set(['LOW_PRIORITY', 'DELAYED', 'HIGH_PRIORITY', 'IGNORE', 'QUICK', 'INTO', 'FROM']);

const upper = (t: Token | undefined) => (t?.kind === 'word' ? t.text.toUpperCase() : '');
const isName = (t: Token | undefined) => t?.kind === 'word' || t?.kind === 'name';

/** The table after INSERT [INTO] / UPDATE / DELETE [FROM] (and their modifiers). */
function targetOf(tokens: readonly Token[]): TableRef | null {
  let i = 1;
  while (MODIFIERS.has(upper(tokens[i]))) i++;
  const first = tokens[i];
  if (!isName(first)) return null;
  if (tokens[i + 1]?.text === '.' && isName(tokens[i + 2])) {
    return { schema: first!.text, table: tokens[i + 2]!.text };
  }
  return { schema: null, table: first!.text };
}

function analyseOne(sql: string, line: number, index: number, file: string): AnalysedStatement {
  const tokens = lexMysql(sql);
  const keyword = upper(tokens[0]) || (tokens[0]?.text ?? '');
  const command = COMMANDS[keyword] ?? null;
  const top = tokens.filter((t) => t.depth === 0);
  const words = top.map(upper);
  const has = (...seq: string[]) => words.some((_, i) => seq.every((w, k) => words[i + k] === w));
  const returning = words.includes('RETURNING');
  if (tokens.some((t) => t.kind === 'punct' && t.text === '?')) {
    throw new InvalidInputError(`${file}:${line}: a workload statement takes $1, $2 … as parameters, not ?`, {
      hint: 'bind each with -- @param $1 …',
    });
  }
  if (command === 'update' && returning) {
    throw new InvalidInputError(
      `${file}:${line}: MariaDB has no UPDATE … RETURNING (10.11 has INSERT … RETURNING and DELETE … RETURNING; MySQL has neither)`,
      {
        hint: 'commit INSERT … RETURNING writes to have them checked afterwards; leave UPDATEs rolled back (no -- @commit)',
      },
    );
  }
  const params = new Set(tokens.filter((t) => t.kind === 'param').map((t) => Number(t.text.slice(1))));
  for (let n = 1; n <= params.size; n++) {
    if (!params.has(n)) {
      throw new InvalidInputError(
        `${file}:${line}: parameters are numbered $1 … $${params.size} without gaps; $${n} is missing`,
      );
    }
  }
  return {
    index,
    sql,
    line,
    what: keyword,
    command,
    locksRows:
      command === 'select' &&
      (has('FOR', 'UPDATE') || has('FOR', 'SHARE') || has('LOCK', 'IN', 'SHARE', 'MODE')),
    target: command === null || command === 'select' ? null : targetOf(tokens),
    returning,
    params,
  };
}

/** MySQL/MariaDB SQL for parseWorkload (src/workload/file.ts). */
export const mysqlDialect: WorkloadDialect = {
  name: 'mysql',
  returningHint:
    'e.g. INSERT ... RETURNING id (MariaDB ≥ 10.5; MariaDB has no UPDATE ... RETURNING, MySQL no RETURNING at all)',
  async analyse(text, file) {
    return splitMysql(text, file).map((s) => analyseOne(s.sql, s.line, s.index, file));
  },
};

/** A value as a string literal the server reads whatever its SQL mode: `_utf8mb4 X'…'`, or NULL. */
export function stringLiteral(value: string | null): string {
  return value === null ? 'NULL' : `_utf8mb4 X'${Buffer.from(value, 'utf8').toString('hex')}'`;
}

/** The statement with `$n` replaced by values[n - 1] as string literals. */
export function bindParams(sql: string, values: readonly (string | null)[]): string {
  let out = '';
  let at = 0;
  for (const t of lexMysql(sql)) {
    if (t.kind !== 'param') continue;
    const n = Number(t.text.slice(1));
    if (n < 1 || n > values.length) throw new Error(`no value for ${t.text}`);
    out += `${sql.slice(at, t.start)}${stringLiteral(values[n - 1] ?? null)}`;
    at = t.end;
  }
  return out + sql.slice(at);
}
