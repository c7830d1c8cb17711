/**
 * Split a SQL file into statements the way the `mysql` command-line client does (client/mysql.cc):
 * the current delimiter (`;` until a `DELIMITER` command changes it, e.g. to `//` around a
 * procedure or trigger body) ends a statement outside quotes and comments; `\g` and `\G` end one
 * too. Quotes: '…', "…" (backslash escapes and doubled quotes) and `…` (no escapes). Comments:
 * `-- ` and `#` to the end of the line, and `/* … *\/`, which are not sent before a statement;
 * `/*! … *\/` and `/*+ … *\/` are code (executable comments, hints), scanned like the rest of a
 * statement, as the client does. One pass, linear in the file's length.
 */
import { InvalidInputError } from '../../errors.js';

export interface MysqlStatement {
  /** 1-based position in the file. */
  index: number;
  /** The text sent: from the statement's first token to before its delimiter, trailing space trimmed. */
  sql: string;
  /** 1-based line and column of the first token. */
  line: number;
  column: number;
  /** 0-based offset of the first token in the file (UTF-16 code units, as JavaScript indexes). */
  offset: number;
  /** The statement's first word, upper-cased (ALTER, CREATE, START, …). */
  keyword: string;
  /** The delimiter in effect when the statement ended (`;`, `//`, `$$`, …). */
  delimiter: string;
}

export const DEFAULT_DELIMITER = ';';

type Mode = 'code' | 'single' | 'double' | 'backtick' | 'block-comment';

const isSpace = (c: string | undefined): boolean =>
  c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';

/** `-- ` starts a comment only when the dashes are followed by a space, a control character or the end. */
function dashComment(sql: string, i: number): boolean {
  if (sql[i] !== '-' || sql[i + 1] !== '-') return false;
  const next = sql.charCodeAt(i + 2);
  return Number.isNaN(next) || next <= 32;
}

class Lines {
  private readonly starts: number[] = [0];
  constructor(sql: string) {
    for (let i = sql.indexOf('\n'); i !== -1; i = sql.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }
  /** 1-based line and column of a 0-based offset (binary search: linear overall). */
  at(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (this.starts[lo] ?? 0) + 1 };
  }
}

const DELIMITER_COMMAND = /^delimiter(?=[ \t\r\n]|$)/i;

/** Split `sql` (a file's text). Throws InvalidInputError for a malformed DELIMITER command. */
export function splitMysql(sql: string, file = 'the SQL'): MysqlStatement[] {
  const lines = new Lines(sql);
  const out: MysqlStatement[] = [];
  let delimiter = DEFAULT_DELIMITER;
  let mode: Mode = 'code';
  /** Offset of the pending statement's first token, or -1 while none has been seen. */
  let start = -1;
  /** Offset just past the pending statement's last code character. */
  let end = -1;
  /** At the start of a line, or after a delimiter with nothing since: where DELIMITER is a command. */
  let atCommandPosition = true;

  const emit = (endAt: number, usedDelimiter: string) => {
    if (start !== -1) {
      const text = sql.slice(start, endAt).trimEnd();
      const { line, column } = lines.at(start);
      const keyword = /^[A-Za-z_]+/.exec(text)?.[0]?.toUpperCase() ?? '';
      out.push({
        index: out.length + 1,
        sql: text,
        line,
        column,
        offset: start,
        keyword,
        delimiter: usedDelimiter,
      });
    }
    start = -1;
    end = -1;
  };

  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i] as string;
    if (mode === 'block-comment') {
      const close = sql.indexOf('*/', i);
      i = close === -1 ? n : close + 2;
      mode = 'code';
      continue;
    }
    if (mode === 'single' || mode === 'double' || mode === 'backtick') {
      const quote = mode === 'single' ? "'" : mode === 'double' ? '"' : '`';
      if (c === '\\' && mode !== 'backtick') {
        i = Math.min(n, i + 2);
        end = i;
        continue;
      }
      if (c === quote) mode = 'code';
      i += 1;
      end = i;
      continue;
    }
    // code
    if (c === '\n') {
      atCommandPosition = start === -1;
      i += 1;
      continue;
    }
    if (isSpace(c)) {
      i += 1;
      continue;
    }
    if (
      atCommandPosition &&
      start === -1 &&
      (c === 'd' || c === 'D') &&
      DELIMITER_COMMAND.test(sql.slice(i, i + 10))
    ) {
      const lineEnd = sql.indexOf('\n', i);
      const rest = sql.slice(i + 9, lineEnd === -1 ? n : lineEnd);
      delimiter = parseDelimiter(rest, file, lines.at(i).line);
      i = lineEnd === -1 ? n : lineEnd;
      continue;
    }
    atCommandPosition = false;
    if (sql.startsWith(delimiter, i)) {
      emit(end, delimiter);
      i += delimiter.length;
      atCommandPosition = true;
      continue;
    }
    if (c === '\\' && (sql[i + 1] === 'g' || sql[i + 1] === 'G')) {
      emit(end, delimiter);
      i += 2;
      atCommandPosition = true;
      continue;
    }
    if (c === '#' || dashComment(sql, i)) {
      const lineEnd = sql.indexOf('\n', i);
      i = lineEnd === -1 ? n : lineEnd;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*' && sql[i + 2] !== '!' && sql[i + 2] !== '+') {
      mode = 'block-comment';
      i += 2;
      continue;
    }
    if (start === -1) start = i;
    if (c === "'") mode = 'single';
    else if (c === '"') mode = 'double';
    else if (c === '`') mode = 'backtick';
    i += 1;
    end = i;
  }
  if (mode === 'single' || mode === 'double' || mode === 'backtick') {
    const { line } = lines.at(start === -1 ? 0 : start);
    throw new InvalidInputError(
      `${file}: a quoted string or identifier opened in the statement at line ${line} never ends`,
    );
  }
  emit(end, delimiter);
  return out;
}

/** The argument of a DELIMITER command: its first word (quotes removed, as the client does). */
function parseDelimiter(rest: string, file: string, line: number): string {
  let word = rest.trim().split(/[ \t]/)[0] ?? '';
  const quoted = /^(['"`])(.+)\1$/.exec(word);
  if (quoted?.[2]) word = quoted[2];
  if (word === '') {
    throw new InvalidInputError(`${file}:${line}: DELIMITER must be followed by the new delimiter`, {
      hint: 'e.g. `DELIMITER //` before a procedure body and `DELIMITER ;` after it',
    });
  }
  if (word.includes('\\')) {
    throw new InvalidInputError(`${file}:${line}: a DELIMITER cannot contain a backslash`);
  }
  return word;
}

/** The file line of a line number MySQL reports inside a statement ("… at line 3"). */
export function fileLine(statement: Pick<MysqlStatement, 'line'>, lineInStatement: number): number {
  return statement.line + Math.max(1, lineInStatement) - 1;
}
