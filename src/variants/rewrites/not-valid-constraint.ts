/**
 * ADD FOREIGN KEY / ADD CHECK → the same constraint NOT VALID, then VALIDATE CONSTRAINT in a
 * later transaction. Adding a foreign key checks every row under SHARE ROW EXCLUSIVE on both
 * tables (writes wait); a CHECK checks every row under ACCESS EXCLUSIVE (everything waits).
 * NOT VALID only checks new rows; VALIDATE then scans under SHARE UPDATE EXCLUSIVE.
 */
import { quoteIdent } from '../../util/pg.js';
import { alterHeader, singleAlterCommand } from '../alter.js';
import { chooseName, nameAddition } from '../names.js';
import { checked, columnRefs, type Node, relationOf, sameTree } from '../sql-text.js';
import type { Rewrite } from '../types.js';

export const notValidConstraint: Rewrite = {
  id: 'not-valid-constraint',
  title: 'ADD FOREIGN KEY / CHECK → NOT VALID, then VALIDATE CONSTRAINT',
  async apply({ text, tree, catalog }) {
    const { stmt, cmd } = singleAlterCommand(tree, 'AT_AddConstraint');
    const con = cmd?.def?.Constraint;
    if (!con || !['CONSTR_FOREIGN', 'CONSTR_CHECK'].includes(con.contype) || con.skip_validation) return null;
    if (con.is_enforced === false) return null;
    const rel = relationOf(stmt.relation);
    const table = await catalog.table(rel);
    if (table?.kind === 'p')
      return { skipped: 'NOT VALID constraints are not supported on partitioned tables' };
    const fk = con.contype === 'CONSTR_FOREIGN';
    let name: string = con.conname;
    let sql = text.sql;
    const taken = table?.constraintNames ?? new Set<string>();
    if (!name) {
      // The name PostgreSQL would have given it: VALIDATE needs one.
      const refs = fk ? [] : columnRefs(con.raw_expr);
      name = fk
        ? chooseName(
            rel.name,
            nameAddition((con.fk_attrs as Node[]).map((a) => a.String.sval)),
            'fkey',
            taken,
          )
        : chooseName(rel.name, refs.length === 1 ? refs[0]! : null, 'check', taken);
      sql = `${text.slice(0, con.location)}CONSTRAINT ${quoteIdent(name)} ${text.slice(con.location)}`;
    }
    const notValid = checked(`${sql} NOT VALID`, (t) => {
      const c = t.AlterTableStmt?.cmds?.[0]?.AlterTableCmd?.def?.Constraint;
      return (
        t.AlterTableStmt.cmds.length === 1 &&
        sameTree(c, { ...con, conname: name, skip_validation: true, initially_valid: false })
      );
    });
    const validate = checked(`${alterHeader(stmt)} VALIDATE CONSTRAINT ${quoteIdent(name)}`, (t) =>
      Boolean(t.AlterTableStmt),
    );
    return {
      steps: [{ sql: notValid }, { sql: validate, outsideBlock: true }],
      what: `adds ${fk ? 'the foreign key' : 'the CHECK'} ${name} NOT VALID, then validates it in a later transaction`,
      why: fk
        ? 'adding a foreign key scans the table under SHARE ROW EXCLUSIVE on both tables, so writes to either wait; VALIDATE CONSTRAINT scans under SHARE UPDATE EXCLUSIVE, which reads and writes do not wait for'
        : 'adding a CHECK scans the table under ACCESS EXCLUSIVE, so reads and writes wait; VALIDATE CONSTRAINT scans under SHARE UPDATE EXCLUSIVE, which they do not wait for',
    };
  },
};
