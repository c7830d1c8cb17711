/**
 * CREATE INDEX on a partitioned table → the index ON ONLY the parent (invalid, instant), then
 * CREATE INDEX CONCURRENTLY on each partition and ATTACH PARTITION of each to the parent's
 * index (which becomes valid with the last). PostgreSQL refuses CONCURRENTLY on a partitioned
 * table, so the plain form blocks writes to every partition for the whole build.
 */
import { quoteIdent } from '../../util/pg.js';
import { chooseName, indexColumnNames, nameAddition } from '../names.js';
import { checked, type Node, quoted, relationOf, sameTree } from '../sql-text.js';
import type { Rewrite, Step } from '../types.js';

export const partitionedIndex: Rewrite = {
  id: 'partitioned-index',
  title: 'CREATE INDEX on a partitioned table → ON ONLY the parent, CONCURRENTLY per partition, ATTACH',
  async apply({ text, tree, catalog }) {
    const idx = tree.IndexStmt;
    if (!idx || idx.concurrent || idx.relation?.inh === false) return null;
    const rel = relationOf(idx.relation);
    const table = await catalog.table(rel);
    if (table?.kind !== 'p') return null;
    if (idx.if_not_exists)
      return { skipped: 'CREATE INDEX IF NOT EXISTS on a partitioned table: not rewritten' };
    if (table.partitions.some((p) => p.kind !== 'r'))
      return { skipped: `${rel.name} has sub-partitioned or foreign partitions: not rewritten` };
    const columns = indexColumnNames(idx.indexParams.map((p: Node) => p.IndexElem));
    const taken = new Set(table.relationNames);
    const name: string = idx.idxname ?? chooseName(rel.name, nameAddition(columns), 'idx', taken);
    taken.add(name);
    const at = text.tokens.findIndex((t) => t.keyword && t.word === 'INDEX');
    const afterIndex = text.tokens[at]!.end;
    const relStart = idx.relation.location as number;
    const rest = text.slice(text.tokens[text.afterName(relStart)]?.start ?? text.bytes.length);
    const named = idx.idxname ? text.slice(afterIndex, relStart) : ` ${quoteIdent(name)} ON `;
    const parent = checked(`${text.slice(0, afterIndex)}${named}ONLY ${text.slice(relStart)}`, (t) =>
      sameTree(t.IndexStmt, { ...idx, idxname: name, relation: { ...idx.relation, inh: false } }),
    );
    const qualifiedIndex = `${quoteIdent(table.schema)}.${quoteIdent(name)}`;
    const steps: Step[] = [{ sql: parent }];
    for (const p of table.partitions) {
      // The name PostgreSQL gives each partition's index when the parent's is built in one go.
      const child = chooseName(p.name, nameAddition(columns), 'idx', taken);
      taken.add(child);
      const partition = quoted({ schema: p.schema, name: p.name });
      const create = checked(
        `CREATE ${idx.unique ? 'UNIQUE ' : ''}INDEX CONCURRENTLY ${quoteIdent(child)} ON ${partition} ${rest}`,
        (t) =>
          sameTree(t.IndexStmt, {
            ...idx,
            idxname: child,
            concurrent: true,
            relation: { schemaname: p.schema, relname: p.name, inh: true, relpersistence: 'p' },
          }),
      );
      const attach = checked(
        `ALTER INDEX ${qualifiedIndex} ATTACH PARTITION ${quoteIdent(p.schema)}.${quoteIdent(child)}`,
        (t) => Boolean(t.AlterTableStmt),
      );
      steps.push({ sql: create, outsideBlock: true }, { sql: attach });
    }
    return {
      steps,
      what: `creates ${name} ON ONLY ${rel.name}, then each of its ${table.partitions.length} partitions' index CONCURRENTLY and attaches it`,
      why: 'CREATE INDEX on a partitioned table cannot be CONCURRENTLY and holds SHARE locks on every partition for the whole build, so writes wait; per-partition CONCURRENTLY builds take SHARE UPDATE EXCLUSIVE, which writes do not wait for',
    };
  },
};
