/**
 * SET NOT NULL → a CHECK (col IS NOT NULL) added NOT VALID and validated first, then SET NOT
 * NULL (which trusts the validated CHECK and skips its scan), then the CHECK goes. A bare SET
 * NOT NULL scans the whole table under ACCESS EXCLUSIVE: reads and writes wait.
 */
import { alterHeader, notNullViaCheck, singleAlterCommand } from '../alter.js';
import { relationOf } from '../sql-text.js';
import type { Rewrite } from '../types.js';

export const setNotNull: Rewrite = {
  id: 'set-not-null',
  title: 'SET NOT NULL → validated CHECK (… IS NOT NULL) first',
  async apply({ tree, catalog }) {
    const { stmt, cmd } = singleAlterCommand(tree, 'AT_SetNotNull');
    if (!cmd?.name) return null;
    const rel = relationOf(stmt.relation);
    const table = await catalog.table(rel);
    if (table?.columns[cmd.name]?.notNull) return null; // already NOT NULL: nothing to scan
    return {
      steps: notNullViaCheck(alterHeader(stmt), rel, cmd.name, table?.constraintNames ?? new Set()),
      what: `checks ${cmd.name} IS NOT NULL with a NOT VALID CHECK validated in its own transaction, then sets NOT NULL (no scan) and drops the CHECK`,
      why: 'a bare SET NOT NULL scans every row under ACCESS EXCLUSIVE, so reads and writes wait; VALIDATE CONSTRAINT scans under SHARE UPDATE EXCLUSIVE, and SET NOT NULL then trusts the validated CHECK',
    };
  },
};
