/**
 * ALTER TABLE pieces shared by the rewrites: the header naming the table, one command per
 * statement (a multi-command ALTER is cut at its top-level commas, each piece checked to hold
 * exactly the original command), and the validated-CHECK route to NOT NULL.
 */
import { quoteIdent } from '../util/pg.js';
import { chooseName } from './names.js';
import {
  checked,
  type Node,
  quoted,
  type RelationName,
  relationOf,
  type StatementText,
  sameTree,
} from './sql-text.js';
import type { Step } from './types.js';

/**
 * A one-command ALTER TABLE of a table whose command is `subtype`: the statement and the command
 * (both empty objects otherwise, so a rewrite reads `cmd.def` without checks and returns null).
 */
export function singleAlterCommand(tree: Node, subtype: string): { stmt: Node; cmd: Node | null } {
  const stmt = tree.AlterTableStmt;
  if (stmt?.objtype !== 'OBJECT_TABLE' || stmt.cmds?.length !== 1) return { stmt: {}, cmd: null };
  const cmd = stmt.cmds[0].AlterTableCmd;
  return { stmt, cmd: cmd?.subtype === subtype ? cmd : null };
}

/** `ALTER TABLE [ONLY] "schema"."table"` for an AlterTableStmt's relation. */
export function alterHeader(stmt: Node): string {
  return `ALTER TABLE ${stmt.relation?.inh === false ? 'ONLY ' : ''}${quoted(relationOf(stmt.relation))}`;
}

/**
 * A multi-command ALTER TABLE as one statement per command, or null when it cannot be cut
 * safely (IF EXISTS, another object type, a piece that does not parse back to its command).
 */
export function splitAlter(text: StatementText, tree: Node): string[] | null {
  const stmt = tree.AlterTableStmt;
  if (stmt?.objtype !== 'OBJECT_TABLE' || stmt.missing_ok) return null;
  const cmds = stmt.cmds as Node[];
  const first = text.afterName(stmt.relation.location);
  const commas = text.topLevel(first, (t) => t.word === ',');
  if (commas.length !== cmds.length - 1) return null;
  const bounds = [first, ...commas.map((c) => c + 1)];
  const pieces: string[] = [];
  for (let i = 0; i < cmds.length; i++) {
    const start = text.tokens[bounds[i]!]!.start;
    const end = i < commas.length ? text.tokens[commas[i]!]!.start : text.bytes.length;
    const sql = `${alterHeader(stmt)} ${text.slice(start, end).trim()}`;
    try {
      pieces.push(
        checked(sql, (t) => {
          const s = t.AlterTableStmt;
          return s?.cmds?.length === 1 && sameTree(s.cmds[0], cmds[i]) && sameTree(s.relation, stmt.relation);
        }),
      );
    } catch {
      return null;
    }
  }
  return pieces;
}

/**
 * SET NOT NULL without its full-table scan under ACCESS EXCLUSIVE: a CHECK (col IS NOT NULL)
 * added NOT VALID, validated in its own transaction (SHARE UPDATE EXCLUSIVE: reads and writes
 * go on), then SET NOT NULL, which trusts the validated CHECK and skips the scan, then the
 * CHECK goes.
 */
export function notNullViaCheck(
  header: string,
  rel: RelationName,
  column: string,
  constraintNames: ReadonlySet<string>,
): Step[] {
  const name = chooseName(rel.name, column, 'vdb_not_null', constraintNames);
  const col = quoteIdent(column);
  const con = quoteIdent(name);
  return [
    { sql: check(`${header} ADD CONSTRAINT ${con} CHECK (${col} IS NOT NULL) NOT VALID`) },
    { sql: check(`${header} VALIDATE CONSTRAINT ${con}`), outsideBlock: true },
    { sql: check(`${header} ALTER COLUMN ${col} SET NOT NULL`) },
    { sql: check(`${header} DROP CONSTRAINT ${con}`) },
  ];
}

/** Generated from quoted identifiers only: it must still parse as one ALTER TABLE. */
const check = (sql: string) => checked(sql, (t) => Boolean(t.AlterTableStmt));
