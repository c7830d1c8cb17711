/**
 * ADD COLUMN … DEFAULT <volatile> [NOT NULL] → add it nullable, SET DEFAULT (rows inserted from
 * then on get it), backfill the existing rows in batches that commit, then NOT NULL through a
 * validated CHECK. A volatile default (random(), gen_random_uuid(), clock_timestamp()) cannot be
 * stored once in the catalog: ADD COLUMN rewrites the whole table under ACCESS EXCLUSIVE.
 */
import { quoteIdent } from '../../util/pg.js';
import { alterHeader, notNullViaCheck, singleAlterCommand } from '../alter.js';
import { batchedUpdate } from '../batches.js';
import { checked, functionsCalled, type Node, parseOne, quoted, relationOf, sameTree } from '../sql-text.js';
import type { Rewrite, Step } from '../types.js';

const ALLOWED = new Set(['CONSTR_DEFAULT', 'CONSTR_NOTNULL', 'CONSTR_NULL']);

export const volatileDefault: Rewrite = {
  id: 'volatile-default',
  title: 'ADD COLUMN with a volatile default → nullable, SET DEFAULT, batched backfill, CHECK, SET NOT NULL',
  async apply({ text, tree, catalog }) {
    const { stmt, cmd } = singleAlterCommand(tree, 'AT_AddColumn');
    const col = cmd?.def?.ColumnDef;
    const constraints = (col?.constraints ?? []) as Node[];
    const dflt = constraints.find((c) => c.Constraint?.contype === 'CONSTR_DEFAULT')?.Constraint;
    if (!col || !dflt) return null;
    const fns = [...functionsCalled(dflt.raw_expr)];
    if (fns.length === 0) return null;
    const volatile = await catalog.anyVolatile(fns);
    if (volatile === false) return null; // a stable or immutable default is stored once: no rewrite
    if (!catalog.available)
      return { skipped: 'whether the default is volatile is read from the checkpoint: give a baseline' };
    if (volatile === null) return { skipped: `unknown function(s) ${fns.join(', ')}` };
    if (cmd.missing_ok || col.collClause || constraints.some((c) => !ALLOWED.has(c.Constraint?.contype)))
      return { skipped: 'IF NOT EXISTS, COLLATE or constraints besides DEFAULT / NOT NULL: not rewritten' };
    const rel = relationOf(stmt.relation);
    const table = await catalog.table(rel);
    if (!table?.pk)
      return { skipped: `${rel.name} has no one-column integer primary key to batch the backfill by` };
    if (table.kind === 'p') return { skipped: 'partitioned table: not rewritten' };
    const header = alterHeader(stmt);
    const name = quoteIdent(col.colname);
    // The type: from its first token to the first constraint; the default: after DEFAULT to the next constraint.
    const starts = constraints.map((c) => c.Constraint.location as number).sort((a, b) => a - b);
    const typeText = text.slice(col.typeName.location, starts[0]).trim();
    const addColumn = checked(`${header} ADD COLUMN ${name} ${typeText}`, (t) =>
      sameTree(t.AlterTableStmt?.cmds?.[0]?.AlterTableCmd?.def?.ColumnDef?.typeName, col.typeName),
    );
    const defaultAt = text.tokenAt(dflt.location);
    const next = starts.find((s) => s > dflt.location) ?? text.bytes.length;
    const exprText = text.slice(text.tokens[defaultAt]!.end, next).trim();
    const setDefault = checked(`${header} ALTER COLUMN ${name} SET DEFAULT ${exprText}`, (t) =>
      sameTree(t.AlterTableStmt?.cmds?.[0]?.AlterTableCmd?.def, dflt.raw_expr),
    );
    const probe = parseOne(`UPDATE x SET ${name} = DEFAULT WHERE ${name} IS NULL`).UpdateStmt;
    const steps: Step[] = [
      { sql: addColumn },
      { sql: setDefault },
      {
        sql: batchedUpdate({
          table: quoted(rel),
          pk: table.pk.column,
          set: `${name} = DEFAULT`,
          setTree: probe.targetList,
          where: { text: `${name} IS NULL`, tree: probe.whereClause },
        }),
        outsideBlock: true,
      },
    ];
    const notNull = constraints.some((c) => c.Constraint.contype === 'CONSTR_NOTNULL');
    if (notNull) steps.push(...notNullViaCheck(header, rel, col.colname, table.constraintNames));
    return {
      steps,
      what: `adds ${col.colname} nullable, sets its default, fills existing rows in batches${notNull ? ', then sets NOT NULL through a validated CHECK' : ''}`,
      why: `a volatile default (${fns.join(', ')}) cannot be stored once in the catalog, so ADD COLUMN rewrites the whole table under ACCESS EXCLUSIVE; the steps each hold that lock only briefly, and rows inserted meanwhile get the default`,
      volatileColumns: [`${table.schema}.${table.name}.${col.colname}`],
    };
  },
};
