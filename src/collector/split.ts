/**
 * Split a migration file into statements with the real PostgreSQL parser (libpg-query), the way
 * `psql -f` would send them, and learn from each parse tree what the runner and the lock
 * attribution need to know (transaction control, multi-transaction commands, relations named).
 */
import { loadModule, parseSync, scanSync } from 'libpg-query';
import { InvalidInputError } from '../errors.js';

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

interface Token {
  start: number;
  end: number;
  text: string;
  tokenName: string;
}

const COMMENT_TOKENS = new Set(['SQL_COMMENT', 'C_COMMENT']);
const MULTI_TRANSACTION_KINDS = new Set(['DoStmt', 'CallStmt', 'VacuumStmt']);
const STARTS = new Set(['TRANS_STMT_BEGIN', 'TRANS_STMT_START']);
const ENDS = new Set(['TRANS_STMT_COMMIT', 'TRANS_STMT_ROLLBACK', 'TRANS_STMT_PREPARE']);

/** Byte offsets (UTF-8, as the parser reports them) to line numbers and text. */
class SourceText {
  readonly bytes: Buffer;
  constructor(readonly text: string) {
    this.bytes = Buffer.from(text, 'utf8');
  }
  slice(start: number, end: number): string {
    return this.bytes.subarray(start, end).toString('utf8');
  }
  lineAt(byteOffset: number): number {
    let line = 1;
    for (let i = 0; i < byteOffset && i < this.bytes.length; i++) if (this.bytes[i] === 0x0a) line++;
    return line;
  }
}

function where(file: string | undefined, line: number, column?: number): string {
  const pos = column === undefined ? `line ${line}` : `line ${line}:${column}`;
  return file ? `${file}: ${pos}` : pos;
}

function scanTokens(sql: string): Token[] | null {
  try {
    return scanSync(sql).tokens as Token[];
  } catch {
    // The scanner fails on what the parser reports better (e.g. an unterminated string).
    return null;
  }
}

/** A backslash outside any string, identifier or comment is a psql meta-command (\set, \i, \gset...). */
function rejectMetaCommands(source: SourceText, tokens: Token[] | null, file: string | undefined): void {
  const found = (byteOffset: number): never => {
    const rest = source.slice(byteOffset, source.bytes.length);
    const command = /^\\\S*/.exec(rest)?.[0] ?? '\\';
    throw new InvalidInputError(
      `${where(file, source.lineAt(byteOffset))}: psql meta-command ${command} is not supported; vers-db runs plain SQL`,
      {
        hint:
          command === '\\.'
            ? 'COPY ... FROM STDIN with inline data needs psql; use INSERT statements, or run the file as a command step (psql -f)'
            : 'replace it with SQL, or run the file as a command step (e.g. `psql -v ON_ERROR_STOP=1 -f file.sql`)',
      },
    );
  };
  if (tokens) {
    for (const t of tokens) if (t.text.startsWith('\\')) found(t.start);
    return;
  }
  // Without tokens (the scanner failed), fall back to lines that start with a backslash.
  let offset = 0;
  for (const line of source.text.split('\n')) {
    if (/^\s*\\/.test(line)) found(offset + Buffer.byteLength(line.slice(0, line.indexOf('\\')), 'utf8'));
    offset += Buffer.byteLength(line, 'utf8') + 1;
  }
}

function parseError(err: unknown, sql: string, file: string | undefined): InvalidInputError {
  const e = err as { message?: string; sqlDetails?: { message: string; cursorPosition: number } };
  const message = e.sqlDetails?.message ?? e.message ?? String(err);
  // cursorPosition counts characters (code points), 0-based.
  const before = Array.from(sql)
    .slice(0, Math.max(0, e.sqlDetails?.cursorPosition ?? 0))
    .join('');
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return new InvalidInputError(`${where(file, line, column)}: ${message}`, {
    hint: 'the file must parse as PostgreSQL SQL (the real parser of PostgreSQL 18 checks it)',
  });
}

/** Collect RangeVar relation names anywhere in a parse tree. */
function relationsOf(node: unknown, out: Set<string>): Set<string> {
  if (Array.isArray(node)) {
    for (const item of node) relationsOf(item, out);
  } else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'RangeVar' || key === 'relation') {
        const relname = (value as { relname?: unknown })?.relname;
        if (typeof relname === 'string') out.add(relname);
      }
      // An index a statement creates is a relation it names too (CREATE INDEX takes locks on it).
      if (key === 'IndexStmt') {
        const idxname = (value as { idxname?: unknown })?.idxname;
        if (typeof idxname === 'string') out.add(idxname);
      }
      relationsOf(value, out);
    }
  }
  return out;
}

function isMultiTransaction(kind: string, body: unknown): boolean {
  if (MULTI_TRANSACTION_KINDS.has(kind)) return true;
  const json = JSON.stringify(body);
  return (
    json.includes('"concurrent":true') ||
    (kind === 'ReindexStmt' && json.includes('"defname":"concurrently"'))
  );
}

/**
 * Split `sql` into statements. Throws InvalidInputError (naming the line) for an empty file,
 * psql meta-commands and parse errors.
 */
export function splitStatements(sql: string, file?: string): SqlStatement[] {
  const noStatements = () =>
    new InvalidInputError(`${file ?? 'the migration'} contains no SQL statements`, {
      hint: 'the file is empty or only comments',
    });
  if (sql.trim() === '') throw noStatements();
  const source = new SourceText(sql);
  const tokens = scanTokens(sql);
  rejectMetaCommands(source, tokens, file);
  let parsed: ReturnType<typeof parseSync>;
  try {
    parsed = parseSync(sql);
  } catch (err) {
    if (err instanceof Error && /loadModule|not loaded|initiali[sz]ed/i.test(err.message)) {
      throw new Error('libpg-query is not loaded: await loadParser() before splitStatements()');
    }
    throw parseError(err, sql, file);
  }
  const raw = parsed.stmts ?? [];
  if (raw.length === 0) throw noStatements();
  const codeTokens = (tokens ?? []).filter((t) => !COMMENT_TOKENS.has(t.tokenName) && t.text !== ';');

  const statements: SqlStatement[] = raw.map((s, i) => {
    const start = s.stmt_location ?? 0;
    const end = s.stmt_len === undefined || s.stmt_len === 0 ? source.bytes.length : start + s.stmt_len;
    const inside = codeTokens.filter((t) => t.start >= start && t.end <= end);
    const first = inside[0]?.start ?? start;
    const last = inside.at(-1)?.end ?? end;
    const stmt = (s.stmt ?? {}) as Record<string, unknown>;
    const kind = Object.keys(stmt)[0] ?? 'Unknown';
    const body = stmt[kind];
    const txKind = kind === 'TransactionStmt' ? String((body as { kind?: unknown }).kind) : '';
    return {
      index: i + 1,
      sql: source.slice(first, last).trim(),
      line: source.lineAt(first),
      kind,
      startsTransaction: STARTS.has(txKind),
      endsTransaction: ENDS.has(txKind),
      transactionControl: kind === 'TransactionStmt',
      multiTransaction: isMultiTransaction(kind, body),
      inTransactionBlock: false,
      transactionEnd: i + 1,
      relations: [...relationsOf(body, new Set())],
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
