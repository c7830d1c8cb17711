/**
 * ADD UNIQUE / ADD PRIMARY KEY → CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT … USING
 * INDEX. Adding the constraint builds its index under ACCESS EXCLUSIVE (reads and writes wait for
 * the whole build); attaching a ready index is a catalog change.
 */
import { quoteIdent } from '../../util/pg.js';
import { alterHeader, singleAlterCommand } from '../alter.js';
import { chooseName, nameAddition } from '../names.js';
import { checked, type Node, quoted, relationOf } from '../sql-text.js';
import type { Rewrite } from '../types.js';

/** Constraint options this rewrite does not carry over (it leaves such constraints as they are). */
const UNSUPPORTED = [
  'including',
  'options',
  'indexspace',
  'deferrable',
  'nulls_not_distinct',
  'indexname',
  'where_clause',
  'exclusions',
];

export const uniqueUsingIndex: Rewrite = {
  id: 'unique-using-index',
  title: 'ADD UNIQUE / PRIMARY KEY → unique index CONCURRENTLY, then USING INDEX',
  async apply({ tree, catalog }) {
    const { stmt, cmd } = singleAlterCommand(tree, 'AT_AddConstraint');
    const con = cmd?.def?.Constraint;
    if (!con || !['CONSTR_UNIQUE', 'CONSTR_PRIMARY'].includes(con.contype)) return null;
    if (UNSUPPORTED.some((k) => con[k]))
      return { skipped: 'constraint options beyond the key columns: not rewritten' };
    const rel = relationOf(stmt.relation);
    const table = await catalog.table(rel);
    if (!table)
      return {
        skipped: 'which table, and whether it is partitioned, is read from the checkpoint: give a baseline',
      };
    if (table.kind !== 'r')
      return { skipped: 'not an ordinary table (CONCURRENTLY is refused): not rewritten' };
    const keys = (con.keys as Node[]).map((k) => k.String.sval as string);
    const primary = con.contype === 'CONSTR_PRIMARY';
    // PRIMARY KEY USING INDEX would set NOT NULL on nullable columns with a full scan: not offered then.
    if (primary && keys.some((k) => !table.columns[k]?.notNull))
      return {
        skipped: 'PRIMARY KEY on a nullable column: make it NOT NULL first (set-not-null), then retry',
      };
    const taken = new Set([...table.relationNames, ...table.constraintNames]);
    const name: string =
      con.conname ??
      (primary
        ? chooseName(rel.name, null, 'pkey', taken)
        : chooseName(rel.name, nameAddition(keys), 'key', taken));
    const index = checked(
      `CREATE UNIQUE INDEX CONCURRENTLY ${quoteIdent(name)} ON ${quoted({ schema: table.schema, name: table.name })} (${keys.map(quoteIdent).join(', ')})`,
      (t) => t.IndexStmt?.concurrent === true && t.IndexStmt.unique === true,
    );
    const attach = checked(
      `${alterHeader(stmt)} ADD CONSTRAINT ${quoteIdent(name)} ${primary ? 'PRIMARY KEY' : 'UNIQUE'} USING INDEX ${quoteIdent(name)}`,
      (t) => t.AlterTableStmt?.cmds?.[0]?.AlterTableCmd?.def?.Constraint?.indexname === name,
    );
    return {
      steps: [{ sql: index, outsideBlock: true }, { sql: attach }],
      what: `builds the unique index ${name} CONCURRENTLY, then adds the ${primary ? 'primary key' : 'UNIQUE constraint'} USING INDEX`,
      why: `adding a ${primary ? 'primary key' : 'UNIQUE constraint'} builds its index under ACCESS EXCLUSIVE, so reads and writes wait for the whole build; CONCURRENTLY takes SHARE UPDATE EXCLUSIVE, and USING INDEX is a catalog change`,
    };
  },
};
