/**
 * Compare PostgreSQL branches: exact row counts and catalog schema of each against the checkpoint
 * it came from, and optionally a user query run on each branch in a READ ONLY transaction with a
 * statement timeout, logged in as a role that may only read that branch (local backend): no
 * server programs or files, no signalling other sessions, no other database.
 */
import { withBranchClient } from '../backends/with-branch.js';
import {
  diffSchemas,
  exactRowCounts,
  loadParser,
  type SchemaSnapshot,
  snapshotSchema,
  splitStatements,
} from '../collector/index.js';
import { InvalidInputError, throwIfAborted } from '../errors.js';
import type { BranchComparison } from '../result.js';
import { type PgClient, withTransaction } from '../util/pg.js';
import { SQLSTATE } from '../util/sqlstate.js';
import { boundedQuery } from './bounded-query.js';
import { ComparisonBuilder, failedQueryResult, type QueryResult } from './comparison-builder.js';
import type { CompareRequest, QueryLimits } from './engines/types.js';
import { isMysqlSchemaJson } from './mysql-snapshot.js';

/** The comparison query must be exactly one statement the PostgreSQL parser accepts. */
export async function checkPostgresQuery(query: string): Promise<void> {
  await loadParser();
  let count: number;
  try {
    count = splitStatements(query, 'comparison query').length;
  } catch (err) {
    throw new InvalidInputError(`comparison query is not valid SQL: ${(err as Error).message}`);
  }
  if (count !== 1) throw new InvalidInputError(`comparison query must be one statement, got ${count}`);
}

/** Exact row counts and catalog schema of each branch against the checkpoint, and the query on each. */
export async function comparePostgresBranches(request: CompareRequest): Promise<BranchComparison> {
  const { backend, entries, snapshot, input, limits } = request;
  const reference = entries[0]!.checkpoint;
  if (isMysqlSchemaJson(snapshot.schema))
    throw new InvalidInputError(`checkpoint ${reference} is MySQL/MariaDB, its branches PostgreSQL`);
  const pgSchema: SchemaSnapshot = snapshot.schema;
  const out = new ComparisonBuilder(reference, snapshot.rowCounts);
  for (const b of entries) {
    throwIfAborted(input.signal);
    // As the branch's reader role: it can read the branch and nothing else, whatever the query calls.
    await withBranchClient(
      backend,
      b.name,
      async (c) => {
        out.addBranch(b, await exactRowCounts(c), diffSchemas(pgSchema, await snapshotSchema(c)));
        if (input.query !== undefined) out.queryResults[b.name] = await readOnlyQuery(c, input.query, limits);
      },
      { as: 'reader', applicationName: 'vers-db:compare' },
    );
  }
  // A query that tries to write fails the same way on every branch: say so once, clearly.
  const violation = Object.values(out.queryResults).find((r) =>
    r.error?.startsWith(SQLSTATE.READ_ONLY_SQL_TRANSACTION),
  );
  if (violation) {
    throw new InvalidInputError(
      `comparison query must only read: ${violation.error!.slice(SQLSTATE.READ_ONLY_SQL_TRANSACTION.length + 1)}`,
      {
        hint: 'it runs in a READ ONLY transaction on every branch; use a SELECT',
      },
    );
  }
  return out.build(input);
}

async function readOnlyQuery(c: PgClient, query: string, limits: QueryLimits): Promise<QueryResult> {
  try {
    return await withTransaction(c, { readOnly: true }, async () => {
      await c.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(limits.timeoutMs))}`);
      // Extended protocol (exactly one statement, nothing smuggled after it), at most maxRows + 1 rows.
      const r = await boundedQuery(c, query, limits.maxRows, limits.maxBytes);
      return {
        columns: r.columns,
        rows: r.rows,
        row_count: r.rows.length,
        truncated: r.truncated,
        error: null,
      };
    });
  } catch (err) {
    return failedQueryResult(err);
  }
}
