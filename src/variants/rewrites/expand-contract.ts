/**
 * ALTER COLUMN … TYPE that rewrites the table (the checkpoint's catalog says so: int → bigint
 * does, varchar(20) → varchar(50) does not) → expand/contract: a new column of the new type,
 * kept in step by a trigger, backfilled in batches that commit, then swapped in one short
 * transaction (drop the old column, rename the new one). The original rewrites every row under
 * ACCESS EXCLUSIVE: reads and writes wait for the whole rewrite.
 */
import { quoteIdent } from '../../util/pg.js';
import { alterHeader, singleAlterCommand } from '../alter.js';
import { batchedUpdate } from '../batches.js';
import { chooseName, makeObjectName } from '../names.js';
import { checked, dollarTag, parseOne, quoted, relationOf, sameTree } from '../sql-text.js';
import type { Rewrite, Step } from '../types.js';

export const expandContract: Rewrite = {
  id: 'expand-contract',
  title: 'a type change that rewrites → expand/contract with a new column',
  async apply({ text, tree, catalog }) {
    const { stmt, cmd } = singleAlterCommand(tree, 'AT_AlterColumnType');
    const def = cmd?.def?.ColumnDef;
    if (!def) return null;
    if (!catalog.available)
      return { skipped: 'whether the type change rewrites is read from the checkpoint: give a baseline' };
    if (def.raw_default || def.collClause) return { skipped: 'USING or COLLATE: not rewritten' };
    const rel = relationOf(stmt.relation);
    const table = await catalog.table(rel);
    const column = table?.columns[cmd.name];
    if (!table || !column) return null;
    const typeText = text.slice(def.typeName.location).trim();
    const target = await catalog.type(typeText);
    if (!target) return null;
    if (!(await catalog.typeChangeRewrites(column, target))) return null; // catalog-only change: already cheap
    if (table.kind !== 'r') return { skipped: 'not an ordinary table: not rewritten' };
    if (!table.pk || table.pk.column === cmd.name)
      return {
        skipped: `${rel.name} has no one-column integer primary key (other than ${cmd.name}) to batch by`,
      };
    if (column.hasDefault || column.special || column.usedBy.length)
      return {
        skipped: `${cmd.name} has a default, is identity/generated, or is used by ${column.usedBy.join(', ') || 'its default'}: expand/contract would have to rebuild those`,
      };
    const header = alterHeader(stmt);
    const oldName = quoteIdent(cmd.name);
    const fresh = makeObjectName(cmd.name, null, 'vdb_new');
    const newName = quoteIdent(fresh);
    const schema = quoteIdent(table.schema);
    const fn = `${schema}.${quoteIdent(makeObjectName(table.name, cmd.name, 'vdb_sync'))}`;
    const trigger = quoteIdent(makeObjectName(table.name, cmd.name, 'vdb_sync'));
    const qualified = quoted({ schema: table.schema, name: table.name });
    const alter = (sql: string) => checked(sql, (t) => Boolean(t.AlterTableStmt));
    const addColumn = checked(`${header} ADD COLUMN ${newName} ${typeText}`, (t) =>
      sameTree(t.AlterTableStmt?.cmds?.[0]?.AlterTableCmd?.def?.ColumnDef?.typeName, def.typeName),
    );
    const body = `BEGIN NEW.${newName} := NEW.${oldName}; RETURN NEW; END`;
    const tag = dollarTag(body);
    const createFn = checked(
      `CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS ${tag} ${body} ${tag}`,
      (t) => Boolean(t.CreateFunctionStmt),
    );
    const createTrigger = checked(
      `CREATE TRIGGER ${trigger} BEFORE INSERT OR UPDATE ON ${qualified} FOR EACH ROW EXECUTE FUNCTION ${fn}()`,
      (t) => Boolean(t.CreateTrigStmt),
    );
    const probe = parseOne(`UPDATE x SET ${newName} = ${oldName}`).UpdateStmt;
    const steps: Step[] = [
      { sql: addColumn },
      { sql: createFn },
      { sql: createTrigger },
      {
        sql: batchedUpdate({
          table: qualified,
          pk: table.pk.column,
          set: `${newName} = ${oldName}`,
          setTree: probe.targetList,
        }),
        outsideBlock: true,
      },
    ];
    const check = quoteIdent(chooseName(table.name, fresh, 'vdb_not_null', table.constraintNames));
    if (column.notNull) {
      steps.push(
        {
          sql: alter(`${header} ADD CONSTRAINT ${check} CHECK (${newName} IS NOT NULL) NOT VALID`),
          outsideBlock: true,
        },
        { sql: alter(`${header} VALIDATE CONSTRAINT ${check}`), outsideBlock: true },
      );
    }
    // The swap: one short transaction under ACCESS EXCLUSIVE, no row touched.
    const swap = [
      'BEGIN',
      checked(`DROP TRIGGER ${trigger} ON ${qualified}`, (t) => Boolean(t.DropStmt)),
      checked(`DROP FUNCTION ${fn}()`, (t) => Boolean(t.DropStmt)),
      alter(`${header} DROP COLUMN ${oldName}`),
      checked(`${header} RENAME COLUMN ${newName} TO ${oldName}`, (t) => Boolean(t.RenameStmt)),
      ...(column.notNull
        ? [
            alter(`${header} ALTER COLUMN ${oldName} SET NOT NULL`),
            alter(`${header} DROP CONSTRAINT ${check}`),
          ]
        : []),
      'COMMIT',
    ];
    steps.push(...swap.map((sql) => ({ sql, outsideBlock: true })));
    return {
      steps,
      what: `adds ${fresh} ${target.name}, keeps it in step with a trigger, backfills it in batches, then swaps it in for ${cmd.name} in one short transaction`,
      why: `changing ${cmd.name} from ${column.type} to ${target.name} rewrites every row under ACCESS EXCLUSIVE, so reads and writes wait for the whole rewrite; the swap holds that lock for a catalog change only (column order changes: ${cmd.name} becomes the last column)`,
    };
  },
};
