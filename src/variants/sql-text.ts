/**
 * Reading and writing SQL through the real parser. Generated SQL is built from quoted
 * identifiers; where a rewrite must carry the user's own expression or type over (a CHECK
 * expression, a SET list, a type name), it cuts that text at token boundaries the scanner found
 * and then parses what it built: the new statement's tree must hold exactly the original's
 * subtree (locations aside), or the rewrite is refused. Nothing is spliced unchecked.
 */
import { parseSync, scanSync } from 'libpg-query';
import { quoteIdent } from '../util/pg.js';

// biome-ignore lint/suspicious/noExplicitAny: parse trees are plain JSON from the parser
export type Node = any;

export interface Token {
  start: number;
  end: number;
  /** Upper-cased keyword, or the token's text for anything else. */
  word: string;
  keyword: boolean;
}

/** The text a statement came from, with offsets in bytes (the parser's and scanner's unit). */
export class StatementText {
  readonly bytes: Buffer;
  readonly tokens: Token[];
  constructor(readonly sql: string) {
    this.bytes = Buffer.from(sql, 'utf8');
    this.tokens = scanSync(sql).tokens.map((t) => ({
      start: t.start,
      end: t.end,
      keyword: t.keywordKind > 0,
      word: t.keywordKind > 0 ? t.text.toUpperCase() : t.text,
    }));
  }
  slice(start: number, end = this.bytes.length): string {
    return this.bytes.subarray(start, end).toString('utf8');
  }
  /** Index of the first token starting at or after a byte offset. */
  tokenAt(offset: number): number {
    const i = this.tokens.findIndex((t) => t.start >= offset);
    return i < 0 ? this.tokens.length : i;
  }
  /** Token indices at parenthesis depth 0 from `from` on where `test` holds. */
  topLevel(from: number, test: (t: Token) => boolean): number[] {
    const out: number[] = [];
    let depth = 0;
    for (let i = from; i < this.tokens.length; i++) {
      const t = this.tokens[i]!;
      if (t.word === '(' || t.word === '[') depth++;
      else if (t.word === ')' || t.word === ']') depth--;
      else if (depth === 0 && test(t)) out.push(i);
    }
    return out;
  }
  /** The token after a possibly qualified name that starts at `offset` (schema.table). */
  afterName(offset: number): number {
    let i = this.tokenAt(offset) + 1;
    while (this.tokens[i]?.word === '.') i += 2;
    return i;
  }
}

/** Parse one statement; null when it is not exactly one statement or does not parse. */
export function parseOne(sql: string): Node | null {
  try {
    const stmts = parseSync(sql).stmts ?? [];
    return stmts.length === 1 ? (stmts[0]!.stmt as Node) : null;
  } catch {
    return null;
  }
}

/**
 * The tree without source positions (and without false flags, which the parser's JSON leaves
 * out), for comparing what two texts mean.
 */
export function withoutLocations(node: Node): Node {
  if (Array.isArray(node)) return node.map(withoutLocations);
  if (node && typeof node === 'object') {
    const out: Record<string, Node> = {};
    // Sorted keys: two trees that say the same thing print the same.
    for (const k of Object.keys(node).sort()) {
      const v = node[k];
      if (k !== 'location' && v !== false && v !== undefined) out[k] = withoutLocations(v);
    }
    return out;
  }
  return node;
}

export const sameTree = (a: Node, b: Node): boolean =>
  JSON.stringify(withoutLocations(a)) === JSON.stringify(withoutLocations(b));

/** A generated statement failed its own check: a bug or an input form the rewrite does not know. */
export class RewriteRefused extends Error {}

/** Parse generated SQL and check it with `expect`; throws RewriteRefused otherwise. */
export function checked(sql: string, expect: (tree: Node) => boolean): string {
  const tree = parseOne(sql);
  if (!tree || !expect(tree)) throw new RewriteRefused(`generated SQL did not parse as intended: ${sql}`);
  return sql;
}

export interface RelationName {
  schema: string | null;
  name: string;
}

export const relationOf = (rangeVar: Node): RelationName => ({
  schema: rangeVar?.schemaname ?? null,
  name: rangeVar?.relname,
});

/** "schema"."name" (or "name" when unqualified, found through the search_path as the original was). */
export function quoted(rel: RelationName): string {
  return rel.schema ? `${quoteIdent(rel.schema)}.${quoteIdent(rel.name)}` : quoteIdent(rel.name);
}

/** Call `fn` with every node of kind `kind` in a parse tree (nested ones too), in tree order. */
export function eachNode(node: Node, kind: string, fn: (n: Node) => void): void {
  if (Array.isArray(node)) for (const x of node) eachNode(x, kind, fn);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === kind) fn(v);
      eachNode(v, kind, fn);
    }
  }
}

/** The last part of a qualified name list (`schema.fn` → fn), when it is a plain string. */
function lastName(names: Node[] | undefined): string | undefined {
  const last = names?.[names.length - 1]?.String?.sval;
  return typeof last === 'string' ? last : undefined;
}

/** Names of the functions an expression calls (last part of each name), for a volatility look-up. */
export function functionsCalled(node: Node, out = new Set<string>()): Set<string> {
  eachNode(node, 'FuncCall', (f) => {
    const name = lastName(f.funcname);
    if (name) out.add(name);
  });
  return out;
}

/** Column names an expression references (last field of each ColumnRef), once each or every time. */
export function columnsReferenced(node: Node, out = new Set<string>()): Set<string> {
  for (const name of columnRefs(node)) out.add(name);
  return out;
}

/** Every ColumnRef's column name, duplicates included (pull_var_clause counts them so). */
export function columnRefs(node: Node): string[] {
  const out: string[] = [];
  eachNode(node, 'ColumnRef', (c) => {
    const name = lastName(c.fields);
    if (name) out.push(name);
  });
  return out;
}

/** A dollar-quote tag that does not occur in `body`. */
export function dollarTag(body: string): string {
  for (let i = 0; ; i++) {
    const tag = `$vers_db${i || ''}$`;
    if (!body.includes(tag)) return tag;
  }
}
