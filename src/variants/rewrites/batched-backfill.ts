/**
 * A one-statement backfill (an UPDATE of a whole table, or of much of it) → batches that
 * commit, walking the integer primary key. One UPDATE holds a row lock on every row it touched
 * until it commits: any write to those rows waits for the whole statement. Batches hold each
 * lock for one batch.
 */
import { batchedUpdate } from '../batches.js';
import type { Catalog } from '../catalog.js';
import { functionsCalled, type Node, quoted, relationOf, type StatementText } from '../sql-text.js';
import type { Rewrite } from '../types.js';

/** The text between top-level keyword `from` and the next of `until` (or the end). */
export function clause(text: StatementText, fromToken: number, until: string[]): string {
  const stops = text.topLevel(fromToken + 1, (t) => t.keyword && until.includes(t.word));
  const end = stops.length ? text.tokens[stops[0]!]!.start : text.bytes.length;
  return text.slice(text.tokens[fromToken]!.end, end).trim();
}

/** Columns the SET list fills from a volatile function ("schema.table.column"). */
async function volatileTargets(targets: Node[], table: string, catalog: Catalog): Promise<string[]> {
  const out: string[] = [];
  for (const t of targets) {
    const fns = [...functionsCalled(t.ResTarget?.val)];
    if (fns.length && (await catalog.anyVolatile(fns)) !== false) out.push(`${table}.${t.ResTarget.name}`);
  }
  return out;
}

export const batchedBackfill: Rewrite = {
  id: 'batched-backfill',
  title: 'one-statement backfill → batches that commit',
  async apply({ text, tree, catalog }) {
    const u = tree.UpdateStmt;
    if (!u) return null;
    if (u.fromClause || u.returningList || u.withClause || u.relation?.alias || u.relation?.inh === false)
      return { skipped: 'UPDATE with FROM, RETURNING, WITH, an alias or ONLY is not batched' };
    const rel = relationOf(u.relation);
    const table = await catalog.table(rel);
    if (!catalog.available)
      return { skipped: 'batching needs the checkpoint (its primary key): give a baseline' };
    if (!table?.pk) return { skipped: `${rel.name} has no one-column integer primary key to batch by` };
    const targets = u.targetList as Node[];
    if (targets.some((t) => t.ResTarget?.name === table.pk!.column || t.ResTarget?.indirection))
      return { skipped: 'the UPDATE sets the primary key (or a field of a column): not batched' };
    const setAt = text.topLevel(text.afterName(u.relation.location), (t) => t.keyword && t.word === 'SET')[0];
    if (setAt === undefined) return null;
    const set = clause(text, setAt, ['WHERE']);
    const whereAt = text.topLevel(setAt, (t) => t.keyword && t.word === 'WHERE')[0];
    const where =
      u.whereClause && whereAt !== undefined
        ? { text: clause(text, whereAt, []), tree: u.whereClause }
        : undefined;
    if (u.whereClause && !where) return null;
    const qualified = quoted(rel);
    const sql = batchedUpdate({ table: qualified, pk: table.pk.column, set, setTree: targets, where });
    return {
      steps: [{ sql, outsideBlock: true }],
      what: `runs the UPDATE in batches of primary-key ranges of ${table.pk.column}, committing after each`,
      why: 'one UPDATE holds a row lock on every row it changed until it commits, so writes to those rows wait for the whole statement; each batch holds its locks only until its own COMMIT',
      volatileColumns: await volatileTargets(targets, `${table.schema}.${table.name}`, catalog),
    };
  },
};
