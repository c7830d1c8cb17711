/**
 * Split a migration file into statements with the real PostgreSQL parser (libpg-query), the way
 * `psql -f` would send them, and learn from each parse tree what the runner and the lock
 * attribution need to know (transaction control, multi-transaction commands, relations named).
 */
import { loadModule, parseSync } from 'libpg-query';
import { InvalidInputError } from '../errors.js';
import { type LexResult, lexSql, lineOf } from './lex.js';

export interface SqlStatement {
  /** 1-based position in the file. */
  index: number;
  /** The statement text as sent: from its first token to its last, without the semicolon. */
  sql: string;
  /** 1-based line of the statement's first token. */
  line: number;
  /** Parse-tree node type, e.g. AlterTableStmt. */
  kind: string;
  /** BEGIN / START TRANSACTION. */
  startsTransaction: boolean;
  /** COMMIT / END / ROLLBACK / ABORT / PREPARE TRANSACTION. */
  endsTransaction: boolean;
  /** BEGIN, COMMIT, SAVEPOINT...: takes no relation locks of its own. */
  transactionControl: boolean;
  /** Commits inside itself (DO/CALL with COMMIT, ... CONCURRENTLY, VACUUM): may release locks mid-statement. */
  multiTransaction: boolean;
  /** Inside an explicit BEGIN ... COMMIT block (BEGIN and COMMIT themselves included). */
  inTransactionBlock: boolean;
  /** Index of the statement that ends this statement's transaction (itself in autocommit; null if never ended). */
  transactionEnd: number | null;
  /** Relation names the statement mentions (unqualified, as the parser folded them). */
  relations: string[];
}

let loaded: Promise<void> | undefined;

/** libpg-query is WebAssembly: load it once per process before the first split. */
export function loadParser(): Promise<void> {
  loaded ??= loadModule();
  return loaded;
}

/**
 * The largest migration file vers-db splits. The parser is run on chunks of about CHUNK_BYTES, so
 * memory grows with the chunk, not the file; this bound keeps the statement list (and the run of
 * one round trip per statement) within reason. Past it the error says so, never "syntax error".
 */
export const MAX_SQL_BYTES = 64 * 1024 * 1024;
/** Statements are parsed in chunks of about this many bytes, cut where psql would cut. */
const CHUNK_BYTES = 64 * 1024;

const MULTI_TRANSACTION_KINDS = new Set(['DoStmt', 'CallStmt', 'VacuumStmt']);
const STARTS = new Set(['TRANS_STMT_BEGIN', 'TRANS_STMT_START']);
const ENDS = new Set(['TRANS_STMT_COMMIT', 'TRANS_STMT_ROLLBACK', 'TRANS_STMT_PREPARE']);

export function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / (1024 * 1024)).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`;
}

export function tooLarge(what: string, bytes: number): InvalidInputError {
  return new InvalidInputError(
    `${what} is ${formatBytes(bytes)}; vers-db splits SQL files of at most ${formatBytes(MAX_SQL_BYTES)}`,
    {
      hint: 'split it into several files run in order, or run it as a command step (e.g. `psql -f file.sql`)',
    },
  );
}

/** A file's UTF-8 bytes with its line starts and code runs, for offsets as the parser reports them. */
class Source {
  readonly lex: LexResult;
  constructor(readonly bytes: Buffer) {
    this.lex = lexSql(bytes);
  }
  slice(start: number, end: number): string {
    return this.bytes.subarray(start, end).toString('utf8');
  }
  lineAt(byteOffset: number): number {
    return lineOf(this.lex.lineStarts, byteOffset);
  }
  /** 1-based column (in characters) of a byte offset. */
  columnAt(byteOffset: number): number {
    const lineStart = this.lex.lineStarts[this.lineAt(byteOffset) - 1] ?? 0;
    return Array.from(this.slice(lineStart, byteOffset)).length + 1;
  }
}

function where(file: string | undefined, line: number, column?: number): string {
  const pos = column === undefined ? `line ${line}` : `line ${line}:${column}`;
  return file ? `${file}: ${pos}` : pos;
}

/** A backslash outside any string, identifier or comment is a psql meta-command (\set, \i, \gset...). */
function rejectMetaCommand(source: Source, file: string | undefined): void {
  const at = source.lex.metaCommand;
  if (at < 0) return;
  const command = /^\\\S*/.exec(source.slice(at, Math.min(at + 64, source.bytes.length)))?.[0] ?? '\\';
  throw new InvalidInputError(
    `${where(file, source.lineAt(at))}: psql meta-command ${command} is not supported; vers-db runs plain SQL`,
    {
      hint:
        command === '\\.'
          ? 'COPY ... FROM STDIN with inline data needs psql; use INSERT statements, or run the file as a command step (psql -f)'
          : 'replace it with SQL, or run the file as a command step (e.g. `psql -v ON_ERROR_STOP=1 -f file.sql`)',
    },
  );
}

interface ParserFailure {
  message?: string;
  sqlDetails?: { message: string; cursorPosition: number };
}

function parseError(err: unknown, chunk: string, chunkStart: number, source: Source, file?: string) {
  const e = err as ParserFailure;
  const message = e.sqlDetails?.message ?? e.message ?? String(err);
  // cursorPosition counts characters (code points) from the chunk's start, 0-based.
  const before = Array.from(chunk)
    .slice(0, Math.max(0, e.sqlDetails?.cursorPosition ?? 0))
    .join('');
  const at = chunkStart + Buffer.byteLength(before, 'utf8');
  return new InvalidInputError(`${where(file, source.lineAt(at), source.columnAt(at))}: ${message}`, {
    hint: 'the file must parse as PostgreSQL SQL (the real parser of PostgreSQL 18 checks it)',
  });
}

/** A chunk that ends inside a statement psql's heuristic cut wrongly: parse it with the next one. */
const ENDS_TOO_EARLY = /at end of input|unterminated/i;

interface RawStatement {
  start: number;
  end: number;
  stmt: Record<string, unknown>;
}

/** Parse [0, n) in chunks cut at psql's statement ends; offsets come back absolute. */
function parseChunks(source: Source, file: string | undefined): RawStatement[] {
  const { cuts } = source.lex;
  const n = source.bytes.length;
  const out: RawStatement[] = [];
  let start = 0;
  let c = 0;
  while (start < n) {
    // The chunk ends just after the first cut at least CHUNK_BYTES past its start (or at the end).
    while (c < cuts.length && cuts[c]! + 1 - start < CHUNK_BYTES) c++;
    let end = c < cuts.length ? cuts[c]! + 1 : n;
    for (;;) {
      const text = source.slice(start, end);
      try {
        const parsed = parseSync(text);
        for (const s of parsed.stmts ?? []) {
          const at = start + (s.stmt_location ?? 0);
          const stop = s.stmt_len === undefined || s.stmt_len === 0 ? end : at + s.stmt_len;
          out.push({ start: at, end: stop, stmt: (s.stmt ?? {}) as Record<string, unknown> });
        }
        break;
      } catch (err) {
        if (err instanceof Error && /loadModule|not loaded|initiali[sz]ed/i.test(err.message)) {
          throw new Error('libpg-query is not loaded: await loadParser() before splitStatements()');
        }
        const message = (err as ParserFailure).sqlDetails?.message ?? '';
        if (end < n && ENDS_TOO_EARLY.test(message)) {
          // Grow to the next chunk boundary and try again.
          c++;
          while (c < cuts.length && cuts[c]! + 1 - end < CHUNK_BYTES) c++;
          end = c < cuts.length ? cuts[c]! + 1 : n;
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

interface TreeFacts {
  relations: Set<string>;
  /** Some node says `concurrent: true` (CREATE INDEX / DROP INDEX / DETACH PARTITION CONCURRENTLY). */
  concurrent: boolean;
  /** Some option is named "concurrently" (REINDEX (CONCURRENTLY)). */
  concurrentlyOption: boolean;
}

/** One walk of a parse tree: RangeVar relation names and the CONCURRENTLY markers. */
function factsOf(node: unknown, out: TreeFacts): TreeFacts {
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const item = node[i];
      if (item && typeof item === 'object') factsOf(item, out);
    }
    return out;
  }
  const obj = node as Record<string, unknown>;
  for (const key in obj) {
    const value = obj[key];
    // A RangeVar is wrapped ({RangeVar: …}) or a typed field: `relation`, `view` (CREATE VIEW),
    // `into` (CREATE TABLE AS / MATERIALIZED VIEW) — the view a CREATE OR REPLACE VIEW locks is named too.
    if (key === 'RangeVar' || key === 'relation' || key === 'view' || key === 'rel') {
      const relname = (value as { relname?: unknown } | undefined)?.relname;
      if (typeof relname === 'string') out.relations.add(relname);
    } else if (key === 'IndexStmt') {
      // An index a statement creates is a relation it names too (CREATE INDEX takes locks on it).
      const idxname = (value as { idxname?: unknown } | undefined)?.idxname;
      if (typeof idxname === 'string') out.relations.add(idxname);
    } else if (key === 'concurrent' && value === true) out.concurrent = true;
    else if (key === 'defname' && value === 'concurrently') out.concurrentlyOption = true;
    if (value && typeof value === 'object') factsOf(value, out);
  }
  return out;
}

const emptyFacts = (): TreeFacts => ({ relations: new Set(), concurrent: false, concurrentlyOption: false });

function isMultiTransaction(kind: string, facts: TreeFacts): boolean {
  return (
    MULTI_TRANSACTION_KINDS.has(kind) ||
    facts.concurrent ||
    (kind === 'ReindexStmt' && facts.concurrentlyOption)
  );
}

/**
 * Split `sql` into statements. Throws InvalidInputError (naming the line) for an empty file, a
 * file over MAX_SQL_BYTES, psql meta-commands and parse errors. Linear in the file's size; for
 * large files call splitStatementsOffThread, which runs this on a worker thread.
 */
export function splitStatements(sql: string, file?: string): SqlStatement[] {
  const noStatements = () =>
    new InvalidInputError(`${file ?? 'the migration'} contains no SQL statements`, {
      hint: 'the file is empty or only comments',
    });
  const bytes = Buffer.from(sql, 'utf8');
  if (bytes.length > MAX_SQL_BYTES) throw tooLarge(file ?? 'the migration', bytes.length);
  if (sql.trim() === '') throw noStatements();
  const source = new Source(bytes);
  rejectMetaCommand(source, file);
  const raw = parseChunks(source, file);
  if (raw.length === 0) throw noStatements();
  const statements: SqlStatement[] = raw.map((s, i) => {
    const code = source.lex.runs.within(s.start, s.end);
    const first = code?.first ?? s.start;
    const last = code?.last ?? s.end;
    const kind = Object.keys(s.stmt)[0] ?? 'Unknown';
    const body = s.stmt[kind];
    const txKind = kind === 'TransactionStmt' ? String((body as { kind?: unknown }).kind) : '';
    const facts = body && typeof body === 'object' ? factsOf(body, emptyFacts()) : emptyFacts();
    return {
      index: i + 1,
      sql: source.slice(first, last).trim(),
      line: source.lineAt(first),
      kind,
      startsTransaction: STARTS.has(txKind),
      endsTransaction: ENDS.has(txKind),
      transactionControl: kind === 'TransactionStmt',
      multiTransaction: isMultiTransaction(kind, facts),
      inTransactionBlock: false,
      transactionEnd: i + 1,
      relations: [...facts.relations],
    };
  });
  markTransactionBlocks(statements);
  return statements;
}

/** Which statements run inside BEGIN ... COMMIT, and which statement ends each one's transaction. */
function markTransactionBlocks(statements: SqlStatement[]): void {
  let block: SqlStatement[] | null = null;
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
