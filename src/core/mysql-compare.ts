/**
 * Compare MySQL/MariaDB branches: exact row counts and the information_schema schema of each
 * against the checkpoint it came from, and optionally a query run on each in a READ ONLY
 * transaction with a time limit (mysql-query.ts), logged in as the branch's reader where the
 * backend has one. Reads only; the same BranchComparison JSON as PostgreSQL, with `engine`.
 */
import { withBranch } from '../backends/with-branch.js';
import { withMysql } from '../engines/mysql/client.js';
import { renameDatabase } from '../engines/mysql/collector/relation-names.js';
import { exactRowCount, tableSnapshots } from '../engines/mysql/snapshot.js';
import { InvalidInputError, throwIfAborted } from '../errors.js';
import type { BranchComparison } from '../result.js';
import { ComparisonBuilder } from './comparison-builder.js';
import { mysqlSettingsOf } from './engine-of.js';
import type { CompareRequest } from './engines/types.js';
import { readOnlyMysqlQuery } from './mysql-query.js';
import { isMysqlSchemaJson, mysqlSchemaDiff } from './mysql-snapshot.js';

export async function compareMysqlBranches(request: CompareRequest): Promise<BranchComparison> {
  // sourceDatabase: a logical copy's branch serves the checkpoint's source database under another name.
  const { backend, entries, snapshot: snap, input, limits, sourceDatabase } = request;
  const reference = entries[0]!.checkpoint;
  const recorded = snap.schema;
  if (!isMysqlSchemaJson(recorded)) {
    throw new InvalidInputError(`checkpoint ${reference} is PostgreSQL, its branches MySQL/MariaDB`);
  }
  const out = new ComparisonBuilder(reference, snap.rowCounts);
  for (const b of entries) {
    throwIfAborted(input.signal);
    // vers-db's own fixed reads (counts, schema) as the tool user: listing InnoDB tables needs
    // PROCESS. The user's query runs as the branch's reader, in a READ ONLY transaction.
    await withBranch(
      backend,
      b.name,
      async (conn) => {
        const settings = mysqlSettingsOf(conn);
        const database = settings.database;
        await withMysql(settings, async (c) => {
          const counts: Record<string, number> = {};
          const named = (text: string) => renameDatabase(text, database, sourceDatabase ?? database);
          for (const t of await tableSnapshots(c, database)) {
            const n = await exactRowCount(c, database, t.relation.slice(database.length + 1));
            counts[named(t.relation)] = n;
          }
          out.addBranch(b, counts, await mysqlSchemaDiff(c, database, recorded, sourceDatabase ?? database));
        });
      },
      { as: 'superuser' },
    );
    const query = input.query;
    if (query !== undefined) {
      out.queryResults[b.name] = await withBranch(
        backend,
        b.name,
        (conn) =>
          readOnlyMysqlQuery(mysqlSettingsOf(conn), query, limits.timeoutMs, limits.maxRows, limits.maxBytes),
        { as: 'reader' },
      );
    }
  }
  return { ...out.build(input), engine: 'mysql' };
}
