/**
 * A whole-table UPDATE cut into batches that commit: a DO block walking an integer primary key
 * in key ranges of BATCH_ROWS rows, COMMIT after each, so no row lock is held for longer than one batch and autovacuum
 * can keep up. The SET list and the condition are the user's, checked by parsing (sql-text.ts).
 */
import { quoteIdent } from '../util/pg.js';
import { checked, dollarTag, type Node, sameTree } from './sql-text.js';

/** Rows per batch: short enough that a writer waits tens of milliseconds, not seconds. */
export const BATCH_ROWS = 5000;

export interface BatchedUpdate {
  /** Quoted, possibly qualified table name. */
  table: string;
  pk: string;
  /** The SET list's text, e.g. `"total" = "total" * 100`. */
  set: string;
  /** The targetList it must parse to (the original's). */
  setTree: Node;
  /** An extra condition (text and the tree it must parse to), e.g. the original WHERE. */
  where?: { text: string; tree: Node };
  batchRows?: number;
}

export function batchedUpdate(b: BatchedUpdate): string {
  const pk = quoteIdent(b.pk);
  const rows = b.batchRows ?? BATCH_ROWS;
  // Keyset batches: each ends where the next starts, found by an index scan of `rows` keys, so
  // sparse keys cost nothing extra. Rows inserted after the start (keys above the maximum then)
  // are left alone, as the original UPDATE's snapshot would have left them.
  const range = `${pk} >= vers_db_lo AND ${pk} <= vers_db_max AND (vers_db_hi IS NULL OR ${pk} < vers_db_hi)`;
  const update = checked(
    `UPDATE ${b.table} SET ${b.set} WHERE ${range}${b.where ? ` AND (${b.where.text})` : ''}`,
    (t) => {
      const u = t.UpdateStmt;
      if (!u || !sameTree(u.targetList, b.setTree)) return false;
      if (!b.where) return true;
      const args = u.whereClause?.BoolExpr?.args;
      return Array.isArray(args) && sameTree(args[args.length - 1], b.where.tree);
    },
  );
  const body = [
    'DECLARE',
    '  vers_db_lo bigint;',
    '  vers_db_hi bigint;',
    '  vers_db_max bigint;',
    'BEGIN',
    `  SELECT min(${pk}), max(${pk}) INTO vers_db_lo, vers_db_max FROM ${b.table};`,
    '  WHILE vers_db_lo IS NOT NULL AND vers_db_lo <= vers_db_max LOOP',
    `    vers_db_hi := (SELECT ${pk} FROM ${b.table} WHERE ${pk} >= vers_db_lo ORDER BY ${pk} OFFSET ${rows} LIMIT 1);`,
    `    ${update};`,
    '    COMMIT;',
    '    vers_db_lo := vers_db_hi;',
    '  END LOOP;',
    'END',
  ].join('\n');
  const tag = dollarTag(body);
  return checked(`DO ${tag}\n${body}\n${tag}`, (t) => Boolean(t.DoStmt));
}
