/** The shape every rewrite in the catalogue shares. */
import type { Catalog } from './catalog.js';
import type { Node, StatementText } from './sql-text.js';

export interface Step {
  /** One statement, without the semicolon. */
  sql: string;
  /**
   * Runs outside the migration's own BEGIN … COMMIT (CONCURRENTLY, a DO block that commits, a
   * VALIDATE meant for a later transaction): the block is closed before it and reopened after.
   */
  outsideBlock?: boolean;
}

export interface Rewritten {
  steps: Step[];
  /** What was changed, in one sentence. */
  what: string;
  /** Why it blocks less, in one sentence. */
  why: string;
  /** "schema.table.column" whose values come from a volatile expression: compared by presence, not value. */
  volatileColumns?: string[];
}

/** A risky form recognised but left as it is, and why. */
export interface NotRewritten {
  skipped: string;
}

export interface RewriteInput {
  text: StatementText;
  /** The statement's parse tree, e.g. { AlterTableStmt: … }. */
  tree: Node;
  catalog: Catalog;
  /** The statement is inside the migration's own BEGIN … COMMIT. */
  inTransactionBlock: boolean;
}

export interface Rewrite {
  /** Short id used in variant file names and reports, e.g. "concurrent-index". */
  id: string;
  title: string;
  /** null: not this rewrite's form. */
  apply(input: RewriteInput): Promise<Rewritten | NotRewritten | null>;
}

export const isSkip = (r: Rewritten | NotRewritten): r is NotRewritten => 'skipped' in r;
