/**
 * Suggest variants of a migration: find the risky forms the catalogue knows, write each rewrite
 * (and, when there are several kinds, all of them at once) as a file under the state directory
 * — never beside the project's migrations, where a migration framework would pick it up — with
 * a report of what was changed and why.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { loadParser, type SqlStatement, splitStatements } from '../collector/index.js';
import { splitAlter } from './alter.js';
import type { Catalog } from './catalog.js';
import { batchedBackfill } from './rewrites/batched-backfill.js';
import { concurrentIndex } from './rewrites/concurrent-index.js';
import { expandContract } from './rewrites/expand-contract.js';
import { notValidConstraint } from './rewrites/not-valid-constraint.js';
import { partitionedIndex } from './rewrites/partitioned-index.js';
import { setNotNull } from './rewrites/set-not-null.js';
import { uniqueUsingIndex } from './rewrites/unique-using-index.js';
import { volatileDefault } from './rewrites/volatile-default.js';
import { parseOne, RewriteRefused, StatementText } from './sql-text.js';
import { isSkip, type Rewrite, type Rewritten, type Step } from './types.js';

/** The catalogue, in the order a statement is offered to it (the first that applies wins). */
export const REWRITES: readonly Rewrite[] = [
  partitionedIndex,
  concurrentIndex,
  notValidConstraint,
  uniqueUsingIndex,
  setNotNull,
  volatileDefault,
  expandContract,
  batchedBackfill,
];

export interface VariantChange {
  /** 1-based statement of the original file. */
  statement: number;
  line: number;
  rewrite: string;
  what: string;
  why: string;
}

export interface Variant {
  /** Strategy name: "<migration>.<rewrite id>" or "<migration>.all". */
  name: string;
  rewrites: string[];
  /** Where the variant was written. */
  file: string;
  sql: string;
  changes: VariantChange[];
  /** "schema.table.column" filled from volatile expressions: their values are not compared. */
  volatile_columns: string[];
}

export interface VariantsReport {
  migration: string;
  /** Whether the checkpoint's catalog was read (partitions, primary keys, volatility, types). */
  catalog: boolean;
  variants: Variant[];
  /** Risky forms recognised but not rewritten, and why. */
  not_rewritten: { statement: number; line: number; rewrite: string; reason: string }[];
}

interface Piece {
  sql: string;
  /** Rewrites that apply to this piece (a statement, or one command of a split ALTER TABLE). */
  rewritten: Map<string, Rewritten>;
}

interface Analysed {
  stmt: SqlStatement;
  pieces: Piece[];
}

async function analyse(stmt: SqlStatement, catalog: Catalog, report: VariantsReport): Promise<Analysed> {
  const tree = parseOne(stmt.sql);
  const whole = new StatementText(stmt.sql);
  const split = tree?.AlterTableStmt?.cmds?.length > 1 ? splitAlter(whole, tree) : null;
  const texts = split ?? [stmt.sql];
  const pieces: Piece[] = [];
  for (const sql of texts) {
    const piece: Piece = { sql, rewritten: new Map() };
    const pieceTree = split ? parseOne(sql) : tree;
    if (pieceTree) {
      const input = {
        text: split ? new StatementText(sql) : whole,
        tree: pieceTree,
        catalog,
        inTransactionBlock: stmt.inTransactionBlock,
      };
      for (const rw of REWRITES) {
        let r: Awaited<ReturnType<Rewrite['apply']>>;
        try {
          r = await rw.apply(input);
        } catch (err) {
          if (!(err instanceof RewriteRefused)) throw err;
          r = { skipped: 'the rewrite could not be checked against the parser; left as it is' };
        }
        if (!r) continue;
        if (isSkip(r))
          report.not_rewritten.push({
            statement: stmt.index,
            line: stmt.line,
            rewrite: rw.id,
            reason: r.skipped,
          });
        else piece.rewritten.set(rw.id, r);
        break;
      }
    }
    pieces.push(piece);
  }
  return { stmt, pieces };
}

/** The file with the chosen rewrites applied; the original's own BEGIN … COMMIT closed around steps that must run outside it. */
function render(analysed: Analysed[], ids: ReadonlySet<string>, header: string[]): string {
  const out: string[] = [];
  for (const { stmt, pieces } of analysed) {
    const used = pieces.some((p) => [...p.rewritten.keys()].some((k) => ids.has(k)));
    if (!used) {
      out.push(stmt.sql);
      continue;
    }
    const steps: Step[] = pieces.flatMap((p) => {
      const id = [...p.rewritten.keys()].find((k) => ids.has(k));
      return id ? p.rewritten.get(id)!.steps : [{ sql: p.sql }];
    });
    let closed = false;
    for (const s of steps) {
      const outside = stmt.inTransactionBlock && s.outsideBlock === true;
      if (outside && !closed) out.push('-- vers-db: what follows runs outside the transaction\nCOMMIT');
      else if (!outside && closed) out.push('BEGIN');
      closed = outside;
      out.push(s.sql);
    }
    if (closed) out.push('-- vers-db: the original transaction goes on\nBEGIN');
  }
  return `${header.map((h) => `-- ${h.replace(/\n/g, ' ')}`).join('\n')}\n\n${out.map((s) => `${s};`).join('\n\n')}\n`;
}

export interface SuggestOptions {
  /** The migration's SQL text. */
  sql: string;
  /** Its label: the file path or strategy name. */
  migration: string;
  /** Base name of the strategies, e.g. "add-index". */
  name: string;
  catalog: Catalog;
  stateDir: string;
}

export async function suggestVariants(o: SuggestOptions): Promise<VariantsReport> {
  await loadParser();
  const report: VariantsReport = {
    migration: o.migration,
    catalog: o.catalog.available,
    variants: [],
    not_rewritten: [],
  };
  const analysed: Analysed[] = [];
  for (const stmt of splitStatements(o.sql, o.migration))
    analysed.push(await analyse(stmt, o.catalog, report));
  const found = REWRITES.map((r) => r.id).filter((id) =>
    analysed.some((a) => a.pieces.some((p) => p.rewritten.has(id))),
  );
  const hash = createHash('sha256').update(o.sql).digest('hex').slice(0, 10);
  const dir = join(o.stateDir, 'variants', `${basename(o.name)}-${hash}`);
  const sets = found.map((id) => [id]);
  if (found.length > 1) sets.push(found);
  for (const ids of sets) {
    const chosen = new Set(ids);
    const name = `${o.name}.${ids.length > 1 ? 'all' : ids[0]}`;
    const changes: VariantChange[] = [];
    const volatile = new Set<string>();
    for (const a of analysed)
      for (const p of a.pieces)
        for (const [id, r] of p.rewritten) {
          if (!chosen.has(id)) continue;
          changes.push({ statement: a.stmt.index, line: a.stmt.line, rewrite: id, what: r.what, why: r.why });
          for (const c of r.volatileColumns ?? []) volatile.add(c);
        }
    const header = [
      `vers-db variant of ${o.migration}: ${ids.map((id) => REWRITES.find((r) => r.id === id)!.title).join('; ')}`,
      ...changes.map((c) => `statement ${c.statement} (line ${c.line}): ${c.what}`),
    ];
    const sql = render(analysed, chosen, header);
    splitStatements(sql, name); // the whole file must split and parse as the runner will run it
    const file = join(dir, `${name}.sql`);
    report.variants.push({ name, rewrites: ids, file, sql, changes, volatile_columns: [...volatile] });
  }
  if (report.variants.length) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    for (const v of report.variants) await writeFile(v.file, v.sql, { mode: 0o600 });
    const { variants, ...rest } = report;
    await writeFile(
      join(dir, 'report.json'),
      `${JSON.stringify({ ...rest, variants: variants.map(({ sql: _, ...v }) => v) }, null, 2)}\n`,
      { mode: 0o600 },
    );
  }
  return report;
}
