/**
 * CREATE INDEX → CREATE INDEX CONCURRENTLY, out of any transaction block. A plain CREATE INDEX
 * holds a SHARE lock for the whole build: every INSERT, UPDATE and DELETE on the table waits.
 * CONCURRENTLY takes SHARE UPDATE EXCLUSIVE, which writers do not wait for.
 */
import { checked, relationOf, sameTree } from '../sql-text.js';
import type { Rewrite } from '../types.js';

export const concurrentIndex: Rewrite = {
  id: 'concurrent-index',
  title: 'CREATE INDEX → CREATE INDEX CONCURRENTLY',
  async apply({ text, tree, catalog }) {
    const idx = tree.IndexStmt;
    // ON ONLY a parent is already the partitioned recipe's first step.
    if (!idx || idx.concurrent || idx.relation?.inh === false) return null;
    const table = await catalog.table(relationOf(idx.relation));
    if (table?.kind === 'p') return null; // partitioned: see partitioned-index
    const at = text.tokens.findIndex((t) => t.keyword && t.word === 'INDEX');
    if (at < 0) return null;
    const cut = text.tokens[at]!.end;
    const sql = checked(`${text.slice(0, cut)} CONCURRENTLY${text.slice(cut)}`, (t) =>
      sameTree(t.IndexStmt, { ...idx, concurrent: true }),
    );
    return {
      steps: [{ sql, outsideBlock: true }],
      what: 'builds the index CONCURRENTLY, in a transaction of its own',
      why: 'a plain CREATE INDEX holds a SHARE lock on the table for the whole build, so every write waits; CONCURRENTLY takes SHARE UPDATE EXCLUSIVE, which writes do not wait for',
    };
  },
};
