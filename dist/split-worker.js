#!/usr/bin/env node
import { createRequire as __vdbCreateRequire } from 'node:module';
const require = __vdbCreateRequire(import.meta.url);

// src/collector/split-worker.ts
import { parentPort } from "node:worker_threads";

// src/errors.ts
var VersDbError = class extends Error {
  /** What the user can do about it, shown under the message. */
  hint;
  constructor(message, options) {
    super(message, options?.cause === void 0 ? void 0 : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options?.hint;
  }
};
var InvalidInputError = class extends VersDbError {
  exitCode = 2;
};
function isVersDbError(err) {
  return err instanceof VersDbError;
}

// src/collector/split.ts
import { loadModule, parseSync } from "libpg-query";

// src/collector/lex.ts
var Runs = class {
  starts = new Int32Array(1024);
  ends = new Int32Array(1024);
  count = 0;
  add(from, to) {
    if (this.count > 0 && this.ends[this.count - 1] === from) {
      this.ends[this.count - 1] = to;
      return;
    }
    if (this.count === this.starts.length) {
      const grow = (a) => {
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
  within(from, to) {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = lo + hi >> 1;
      if (this.ends[mid] <= from) lo = mid + 1;
      else hi = mid;
    }
    const a = lo;
    lo = a;
    hi = this.count;
    while (lo < hi) {
      const mid = lo + hi >> 1;
      if (this.starts[mid] < to) lo = mid + 1;
      else hi = mid;
    }
    const b = lo - 1;
    if (a >= this.count || b < a) return null;
    return { first: Math.max(from, this.starts[a]), last: Math.min(to, this.ends[b]) };
  }
};
var isSpace = (b) => b === 32 || b >= 9 && b <= 13;
var isIdentStart = (b) => b >= 65 && b <= 90 || b >= 97 && b <= 122 || b === 95 || b >= 128;
var isIdentChar = (b) => isIdentStart(b) || b >= 48 && b <= 57 || b === 36;
function skipQuoted(bytes, i, quote, backslashEscapes) {
  let j = i + 1;
  while (j < bytes.length) {
    const b = bytes[j];
    if (backslashEscapes && b === 92) {
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
function skipBlockComment(bytes, i) {
  let depth = 0;
  let j = i;
  while (j < bytes.length) {
    if (bytes[j] === 47 && bytes[j + 1] === 42) {
      depth++;
      j += 2;
    } else if (bytes[j] === 42 && bytes[j + 1] === 47) {
      depth--;
      j += 2;
      if (depth === 0) return j;
    } else j++;
  }
  return bytes.length;
}
function dollarTagLength(bytes, i) {
  let j = i + 1;
  if (bytes[j] === 36) return 2;
  if (j >= bytes.length || !isIdentStart(bytes[j])) return 0;
  while (j < bytes.length && isIdentChar(bytes[j]) && bytes[j] !== 36) j++;
  return bytes[j] === 36 ? j - i + 1 : 0;
}
function skipDollarQuoted(bytes, i, tagLength) {
  const tag = bytes.subarray(i, i + tagLength);
  const at = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).indexOf(tag, i + tagLength);
  return at < 0 ? bytes.length : at + tagLength;
}
var KEYWORDS = ["create", "function", "procedure", "or", "replace", "begin", "case", "end"];
function keyword(bytes, from, to) {
  const len = to - from;
  for (const k of KEYWORDS) {
    if (k.length !== len) continue;
    let j = 0;
    while (j < len && (bytes[from + j] | 32) === k.charCodeAt(j)) j++;
    if (j === len) return k;
  }
  return "";
}
var BeginAtomic = class {
  words = [];
  creating = false;
  depth = 0;
  reset() {
    this.words = [];
    this.creating = false;
    this.depth = 0;
  }
  /** Whether the next word matters (saves decoding every identifier of a long INSERT). */
  wants() {
    return this.words.length < 4 || this.creating;
  }
  /** `text` is a lower-case keyword, or '' for any other identifier. */
  word(text, parenDepth) {
    const w = text;
    if (this.words.length < 4) {
      this.words.push(w);
      const [a, b, c, d] = this.words;
      const routine = (x) => x === "function" || x === "procedure";
      this.creating = a === "create" && (routine(b) || b === "or" && c === "replace" && routine(d));
    }
    if (!this.creating || parenDepth !== 0) return;
    if (w === "begin") this.depth++;
    else if (w === "case" && this.depth >= 1) this.depth++;
    else if (w === "end" && this.depth > 0) this.depth--;
  }
};
function lexSql(input) {
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.length);
  const cuts = [];
  const runs = new Runs();
  const lineStarts = [0];
  let metaCommand = -1;
  let parens = 0;
  const atomic = new BeginAtomic();
  const markLines = (from, to) => {
    for (let k = from; k < to; k++) if (bytes[k] === 10) lineStarts.push(k + 1);
  };
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i];
    let next;
    if (isSpace(b)) {
      if (b === 10) lineStarts.push(i + 1);
      i++;
      continue;
    }
    if (b === 45 && bytes[i + 1] === 45) {
      next = i + 2;
      while (next < n && bytes[next] !== 10) next++;
      i = next;
      continue;
    }
    if (b === 47 && bytes[i + 1] === 42) {
      next = skipBlockComment(bytes, i);
      markLines(i, next);
      i = next;
      continue;
    }
    if (b === 59 && parens === 0 && atomic.depth === 0) {
      cuts.push(i);
      parens = 0;
      atomic.reset();
      i++;
      continue;
    }
    if (b === 39 || b === 34) {
      next = skipQuoted(bytes, i, b, false);
    } else if (b === 36 && dollarTagLength(bytes, i) > 0) {
      next = skipDollarQuoted(bytes, i, dollarTagLength(bytes, i));
    } else if (isIdentStart(b)) {
      next = i + 1;
      while (next < n && isIdentChar(bytes[next])) next++;
      const escaped = next - i === 1 && (b === 69 || b === 101) && bytes[next] === 39;
      if (escaped) next = skipQuoted(bytes, next, 39, true);
      else if (atomic.wants()) atomic.word(keyword(bytes, i, next), parens);
    } else {
      if (b === 92 && metaCommand < 0) metaCommand = i;
      if (b === 40) parens++;
      else if (b === 41 && parens > 0) parens--;
      next = i + 1;
    }
    markLines(i, next);
    runs.add(i, next);
    i = next;
  }
  return { cuts, runs, metaCommand, lineStarts };
}
function lineOf(lineStarts, offset) {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = lo + hi + 1 >> 1;
    if (lineStarts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

// src/collector/split.ts
var loaded;
function loadParser() {
  loaded ??= loadModule();
  return loaded;
}
var MAX_SQL_BYTES = 64 * 1024 * 1024;
var CHUNK_BYTES = 64 * 1024;
var MULTI_TRANSACTION_KINDS = /* @__PURE__ */ new Set(["DoStmt", "CallStmt", "VacuumStmt"]);
var STARTS = /* @__PURE__ */ new Set(["TRANS_STMT_BEGIN", "TRANS_STMT_START"]);
var ENDS = /* @__PURE__ */ new Set(["TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK", "TRANS_STMT_PREPARE"]);
function formatBytes(n) {
  return n >= 1024 * 1024 ? `${(n / (1024 * 1024)).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`;
}
function tooLarge(what, bytes) {
  return new InvalidInputError(
    `${what} is ${formatBytes(bytes)}; vers-db splits SQL files of at most ${formatBytes(MAX_SQL_BYTES)}`,
    {
      hint: "split it into several files run in order, or run it as a command step (e.g. `psql -f file.sql`)"
    }
  );
}
var Source = class {
  constructor(bytes) {
    this.bytes = bytes;
    this.lex = lexSql(bytes);
  }
  bytes;
  lex;
  slice(start, end) {
    return this.bytes.subarray(start, end).toString("utf8");
  }
  lineAt(byteOffset) {
    return lineOf(this.lex.lineStarts, byteOffset);
  }
  /** 1-based column (in characters) of a byte offset. */
  columnAt(byteOffset) {
    const lineStart = this.lex.lineStarts[this.lineAt(byteOffset) - 1] ?? 0;
    return Array.from(this.slice(lineStart, byteOffset)).length + 1;
  }
};
function where(file, line, column) {
  const pos = column === void 0 ? `line ${line}` : `line ${line}:${column}`;
  return file ? `${file}: ${pos}` : pos;
}
function rejectMetaCommand(source, file) {
  const at = source.lex.metaCommand;
  if (at < 0) return;
  const command = /^\\\S*/.exec(source.slice(at, Math.min(at + 64, source.bytes.length)))?.[0] ?? "\\";
  throw new InvalidInputError(
    `${where(file, source.lineAt(at))}: psql meta-command ${command} is not supported; vers-db runs plain SQL`,
    {
      hint: command === "\\." ? "COPY ... FROM STDIN with inline data needs psql; use INSERT statements, or run the file as a command step (psql -f)" : "replace it with SQL, or run the file as a command step (e.g. `psql -v ON_ERROR_STOP=1 -f file.sql`)"
    }
  );
}
function parseError(err, chunk, chunkStart, source, file) {
  const e = err;
  const message = e.sqlDetails?.message ?? e.message ?? String(err);
  const before = Array.from(chunk).slice(0, Math.max(0, e.sqlDetails?.cursorPosition ?? 0)).join("");
  const at = chunkStart + Buffer.byteLength(before, "utf8");
  return new InvalidInputError(`${where(file, source.lineAt(at), source.columnAt(at))}: ${message}`, {
    hint: "the file must parse as PostgreSQL SQL (the real parser of PostgreSQL 18 checks it)"
  });
}
var ENDS_TOO_EARLY = /at end of input|unterminated/i;
function parseChunks(source, file) {
  const { cuts } = source.lex;
  const n = source.bytes.length;
  const out = [];
  let start = 0;
  let c = 0;
  while (start < n) {
    while (c < cuts.length && cuts[c] + 1 - start < CHUNK_BYTES) c++;
    let end = c < cuts.length ? cuts[c] + 1 : n;
    for (; ; ) {
      const text = source.slice(start, end);
      try {
        const parsed = parseSync(text);
        for (const s of parsed.stmts ?? []) {
          const at = start + (s.stmt_location ?? 0);
          const stop = s.stmt_len === void 0 || s.stmt_len === 0 ? end : at + s.stmt_len;
          out.push({ start: at, end: stop, stmt: s.stmt ?? {} });
        }
        break;
      } catch (err) {
        if (err instanceof Error && /loadModule|not loaded|initiali[sz]ed/i.test(err.message)) {
          throw new Error("libpg-query is not loaded: await loadParser() before splitStatements()");
        }
        const message = err.sqlDetails?.message ?? "";
        if (end < n && ENDS_TOO_EARLY.test(message)) {
          c++;
          while (c < cuts.length && cuts[c] + 1 - end < CHUNK_BYTES) c++;
          end = c < cuts.length ? cuts[c] + 1 : n;
          continue;
        }
        throw parseError(err, text, start, source, file);
      }
    }
    c++;
    start = end;
  }
  return out;
}
function factsOf(node, out) {
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const item = node[i];
      if (item && typeof item === "object") factsOf(item, out);
    }
    return out;
  }
  const obj = node;
  for (const key in obj) {
    const value = obj[key];
    if (key === "RangeVar" || key === "relation" || key === "view" || key === "rel") {
      const relname = value?.relname;
      if (typeof relname === "string") out.relations.add(relname);
    } else if (key === "IndexStmt") {
      const idxname = value?.idxname;
      if (typeof idxname === "string") out.relations.add(idxname);
    } else if (key === "concurrent" && value === true) out.concurrent = true;
    else if (key === "defname" && value === "concurrently") out.concurrentlyOption = true;
    if (value && typeof value === "object") factsOf(value, out);
  }
  return out;
}
var emptyFacts = () => ({ relations: /* @__PURE__ */ new Set(), concurrent: false, concurrentlyOption: false });
function isMultiTransaction(kind, facts) {
  return MULTI_TRANSACTION_KINDS.has(kind) || facts.concurrent || kind === "ReindexStmt" && facts.concurrentlyOption;
}
function splitStatements(sql, file) {
  const noStatements = () => new InvalidInputError(`${file ?? "the migration"} contains no SQL statements`, {
    hint: "the file is empty or only comments"
  });
  const bytes = Buffer.from(sql, "utf8");
  if (bytes.length > MAX_SQL_BYTES) throw tooLarge(file ?? "the migration", bytes.length);
  if (sql.trim() === "") throw noStatements();
  const source = new Source(bytes);
  rejectMetaCommand(source, file);
  const raw = parseChunks(source, file);
  if (raw.length === 0) throw noStatements();
  const statements = raw.map((s, i) => {
    const code = source.lex.runs.within(s.start, s.end);
    const first = code?.first ?? s.start;
    const last = code?.last ?? s.end;
    const kind = Object.keys(s.stmt)[0] ?? "Unknown";
    const body = s.stmt[kind];
    const txKind = kind === "TransactionStmt" ? String(body.kind) : "";
    const facts = body && typeof body === "object" ? factsOf(body, emptyFacts()) : emptyFacts();
    return {
      index: i + 1,
      sql: source.slice(first, last).trim(),
      line: source.lineAt(first),
      kind,
      startsTransaction: STARTS.has(txKind),
      endsTransaction: ENDS.has(txKind),
      transactionControl: kind === "TransactionStmt",
      multiTransaction: isMultiTransaction(kind, facts),
      inTransactionBlock: false,
      transactionEnd: i + 1,
      relations: [...facts.relations]
    };
  });
  markTransactionBlocks(statements);
  return statements;
}
function markTransactionBlocks(statements) {
  let block = null;
  for (const s of statements) {
    if (s.startsTransaction && !block) block = [];
    if (block) {
      block.push(s);
      s.inTransactionBlock = true;
      if (s.endsTransaction) {
        for (const member of block) member.transactionEnd = s.index;
        block = null;
      }
    }
  }
  for (const member of block ?? []) member.transactionEnd = null;
}

// src/collector/split-worker.ts
parentPort?.on("message", async (request) => {
  let reply;
  try {
    await loadParser();
    reply = { id: request.id, statements: splitStatements(request.sql, request.file) };
  } catch (err) {
    reply = {
      id: request.id,
      error: {
        message: err instanceof Error ? err.message : String(err),
        ...isVersDbError(err) && err.hint ? { hint: err.hint } : {},
        invalidInput: isVersDbError(err) && err.exitCode === 2
      }
    };
  }
  parentPort?.postMessage(reply);
});
