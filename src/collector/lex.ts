/**
 * One linear pass over a SQL file's UTF-8 bytes, the way psql's lexer reads it: strings, quoted
 * identifiers, dollar quotes and (nested) comments are skipped, a semicolon outside parentheses
 * and outside a `CREATE FUNCTION ... BEGIN ATOMIC ... END` body ends a statement, and a backslash
 * outside all of them is a psql meta-command. The real parser still decides what each statement
 * is; this pass only finds where psql would cut, where each statement's code starts and ends
 * (comments and blanks trimmed) and where lines start. Everything here is O(bytes).
 */

/** Growable pairs of [start, end) byte offsets: runs of code with no blank or comment inside. */
export class Runs {
  starts = new Int32Array(1024);
  ends = new Int32Array(1024);
  count = 0;
  add(from: number, to: number): void {
    if (this.count > 0 && this.ends[this.count - 1] === from) {
      this.ends[this.count - 1] = to;
      return;
    }
    if (this.count === this.starts.length) {
      const grow = (a: Int32Array) => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.starts = grow(this.starts);
      this.ends = grow(this.ends);
    }
    this.starts[this.count] = from;
    this.ends[this.count] = to;
    this.count++;
  }
  /** First and one-past-last code byte inside [from, to), or null when there is no code there. */
  within(from: number, to: number): { first: number; last: number } | null {
    // First run ending after `from`, then the last run starting before `to`.
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ends[mid]! <= from) lo = mid + 1;
      else hi = mid;
    }
    const a = lo;
    lo = a;
    hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid]! < to) lo = mid + 1;
      else hi = mid;
    }
    const b = lo - 1;
    if (a >= this.count || b < a) return null;
    return { first: Math.max(from, this.starts[a]!), last: Math.min(to, this.ends[b]!) };
  }
}

export interface LexResult {
  /** Byte offsets of the semicolons where psql would end a statement. */
  cuts: number[];
  /** Code (not blank, not comment, not a statement-ending semicolon). */
  runs: Runs;
  /** Byte offset of the first backslash outside strings, identifiers and comments, or -1. */
  metaCommand: number;
  /** Byte offsets where each line starts (lineStarts[0] === 0). */
  lineStarts: number[];
}

const isSpace = (b: number) => b === 0x20 || (b >= 0x09 && b <= 0x0d);
const isIdentStart = (b: number) =>
  (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f || b >= 0x80;
const isIdentChar = (b: number) => isIdentStart(b) || (b >= 0x30 && b <= 0x39) || b === 0x24;

/** Where a quoted run that began at `i` (on the opening quote) ends, one past the closing quote. */
function skipQuoted(bytes: Uint8Array, i: number, quote: number, backslashEscapes: boolean): number {
  let j = i + 1;
  while (j < bytes.length) {
    const b = bytes[j]!;
    if (backslashEscapes && b === 0x5c) {
      j += 2;
      continue;
    }
    if (b === quote) {
      if (bytes[j + 1] === quote) {
        j += 2;
        continue;
      }
      return j + 1;
    }
    j++;
  }
  return bytes.length;
}

function skipBlockComment(bytes: Uint8Array, i: number): number {
  let depth = 0;
  let j = i;
  while (j < bytes.length) {
    if (bytes[j] === 0x2f && bytes[j + 1] === 0x2a) {
      depth++;
      j += 2;
    } else if (bytes[j] === 0x2a && bytes[j + 1] === 0x2f) {
      depth--;
      j += 2;
      if (depth === 0) return j;
    } else j++;
  }
  return bytes.length;
}

/** `$tag$` at i: the tag's length including both dollars, or 0 when this `$` opens no dollar quote. */
function dollarTagLength(bytes: Uint8Array, i: number): number {
  let j = i + 1;
  if (bytes[j] === 0x24) return 2;
  if (j >= bytes.length || !isIdentStart(bytes[j]!)) return 0;
  while (j < bytes.length && isIdentChar(bytes[j]!) && bytes[j] !== 0x24) j++;
  return bytes[j] === 0x24 ? j - i + 1 : 0;
}

function skipDollarQuoted(bytes: Uint8Array, i: number, tagLength: number): number {
  const tag = bytes.subarray(i, i + tagLength);
  const at = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).indexOf(tag, i + tagLength);
  return at < 0 ? bytes.length : at + tagLength;
}

const KEYWORDS = ['create', 'function', 'procedure', 'or', 'replace', 'begin', 'case', 'end'];

/** The identifier at [from, to) if it is one of KEYWORDS (any case), else '' — without decoding it. */
function keyword(bytes: Uint8Array, from: number, to: number): string {
  const len = to - from;
  for (const k of KEYWORDS) {
    if (k.length !== len) continue;
    let j = 0;
    while (j < len && (bytes[from + j]! | 0x20) === k.charCodeAt(j)) j++;
    if (j === len) return k;
  }
  return '';
}

/** psql's heuristic for SQL-standard function bodies: CREATE [OR REPLACE] FUNCTION|PROCEDURE. */
class BeginAtomic {
  private words: string[] = [];
  private creating = false;
  depth = 0;
  reset(): void {
    this.words = [];
    this.creating = false;
    this.depth = 0;
  }
  /** Whether the next word matters (saves decoding every identifier of a long INSERT). */
  wants(): boolean {
    return this.words.length < 4 || this.creating;
  }
  /** `text` is a lower-case keyword, or '' for any other identifier. */
  word(text: string, parenDepth: number): void {
    const w = text;
    if (this.words.length < 4) {
      this.words.push(w);
      const [a, b, c, d] = this.words;
      const routine = (x: string | undefined) => x === 'function' || x === 'procedure';
      this.creating = a === 'create' && (routine(b) || (b === 'or' && c === 'replace' && routine(d)));
    }
    if (!this.creating || parenDepth !== 0) return;
    if (w === 'begin') this.depth++;
    else if (w === 'case' && this.depth >= 1) this.depth++;
    else if (w === 'end' && this.depth > 0) this.depth--;
  }
}

export function lexSql(input: Uint8Array): LexResult {
  // A plain Uint8Array view: element access on a Buffer (a subclass) is slower.
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.length);
  const cuts: number[] = [];
  const runs = new Runs();
  const lineStarts = [0];
  let metaCommand = -1;
  let parens = 0;
  const atomic = new BeginAtomic();
  const markLines = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (bytes[k] === 0x0a) lineStarts.push(k + 1);
  };
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    let next: number;
    if (isSpace(b)) {
      if (b === 0x0a) lineStarts.push(i + 1);
      i++;
      continue;
    }
    if (b === 0x2d && bytes[i + 1] === 0x2d) {
      next = i + 2;
      while (next < n && bytes[next] !== 0x0a) next++;
      i = next;
      continue;
    }
    if (b === 0x2f && bytes[i + 1] === 0x2a) {
      next = skipBlockComment(bytes, i);
      markLines(i, next);
      i = next;
      continue;
    }
    if (b === 0x3b && parens === 0 && atomic.depth === 0) {
      cuts.push(i);
      parens = 0;
      atomic.reset();
      i++;
      continue;
    }
    if (b === 0x27 || b === 0x22) {
      next = skipQuoted(bytes, i, b, false);
    } else if (b === 0x24 && dollarTagLength(bytes, i) > 0) {
      next = skipDollarQuoted(bytes, i, dollarTagLength(bytes, i));
    } else if (isIdentStart(b)) {
      next = i + 1;
      while (next < n && isIdentChar(bytes[next]!)) next++;
      const escaped = next - i === 1 && (b === 0x45 || b === 0x65) && bytes[next] === 0x27;
      if (escaped) next = skipQuoted(bytes, next, 0x27, true);
      else if (atomic.wants()) atomic.word(keyword(bytes, i, next), parens);
    } else {
      if (b === 0x5c && metaCommand < 0) metaCommand = i;
      if (b === 0x28) parens++;
      else if (b === 0x29 && parens > 0) parens--;
      next = i + 1;
    }
    markLines(i, next);
    runs.add(i, next);
    i = next;
  }
  return { cuts, runs, metaCommand, lineStarts };
}

/** 1-based line of a byte offset, by binary search over line starts. */
export function lineOf(lineStarts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lineStarts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}
