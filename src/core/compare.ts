/**
 * Compare branches: exact row counts and catalog schema of each against the checkpoint it came
 * from, and optionally a user query run on each branch in a READ ONLY transaction with a
 * statement timeout, logged in as a role that may only read that branch (local backend): no
 * server programs or files, no signalling other sessions, no other database.
 */

import type { Backend } from '../backends/backend.js';
import { withBranchClient } from '../backends/with-branch.js';
import {
  diffSchemas,
  exactRowCounts,
  loadParser,
  type SchemaSnapshot,
  snapshotSchema,
  splitStatements,
} from '../collector/index.js';
import { InvalidInputError, NotFoundError, throwIfAborted } from '../errors.js';
import type { BranchComparison } from '../result.js';
import type { BranchEntry } from '../state/registry.js';
import { withTransaction } from '../util/pg.js';
import { SQLSTATE } from '../util/sqlstate.js';
import { boundedQuery } from './bounded-query.js';
import { loadCheckpointSnapshot } from './checkpoint-snapshot.js';
import type { Context } from './context.js';
import { withEngine } from './engine-context.js';
import { checkEngine } from './engine-of.js';
import { compareMysqlBranches } from './mysql-compare.js';
import { checkMysqlQuery } from './mysql-query.js';
import { isMysqlSchemaJson } from './mysql-snapshot.js';
import type { CompareInput } from './types.js';

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_ROWS = 200;
/** Row data kept per branch; past it the result is truncated (a tool result must stay readable). */
export const MAX_RESULT_BYTES = 4 * 1024 * 1024;

type QueryResult = BranchComparison['query_results'][string];

function checkQuery(query: string): void {
  let count: number;
  try {
    count = splitStatements(query, 'comparison query').length;
  } catch (err) {
    throw new InvalidInputError(`comparison query is not valid SQL: ${(err as Error).message}`);
  }
  if (count !== 1) throw new InvalidInputError(`comparison query must be one statement, got ${count}`);
}

export async function compareBranches(ctx: Context, input: CompareInput): Promise<BranchComparison> {
  if (input.branches.length === 0) throw new InvalidInputError('name at least one branch to compare');
  const entries: BranchEntry[] = [];
  for (const name of input.branches) {
    const b = await ctx.registry.branch(name);
    if (b?.state !== 'ready') {
      const known = (await ctx.registry.listBranches()).filter((x) => x.state === 'ready').map((x) => x.name);
      throw new NotFoundError(`no branch named ${JSON.stringify(name)}`, {
        hint: known.length
          ? `existing branches: ${known.join(', ')}`
          : 'branches exist only while kept: run a test with --keep-branch (keep_branch: true)',
      });
    }
    entries.push(b);
  }
  const reference = entries[0]!.checkpoint;
  const snap = await loadCheckpointSnapshot(ctx.stateDir, reference);
  const timeoutMs = input.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxRows = input.maxRows ?? DEFAULT_MAX_ROWS;
  const engine = entries[0]!.engine ?? snap.engine ?? 'postgres';
  if (input.engine) checkEngine({ name: entries[0]!.name, engine }, input.engine);
  for (const b of entries) {
    if ((b.engine ?? engine) !== engine)
      throw new InvalidInputError(`branches ${entries[0]!.name} and ${b.name} are of different engines`);
  }
  if (engine === 'mysql') {
    if (input.query !== undefined) checkMysqlQuery(input.query);
    const limits = { timeoutMs, maxRows, maxBytes: MAX_RESULT_BYTES };
    // Read through the backend of the branches' engine, whichever this context was made for.
    const source = (await ctx.registry.checkpoint(reference))?.database;
    return withEngine(ctx, engine, async (c) =>
      compareMysqlBranches(await c.backend(), entries, snap, input, limits, source),
    );
  }
  if (input.query !== undefined) {
    await loadParser();
    checkQuery(input.query);
  }
  if (isMysqlSchemaJson(snap.schema)) throw new InvalidInputError(`checkpoint ${reference} is MySQL/MariaDB`);
  const pgSchema = snap.schema;
  return withEngine(ctx, engine, async (c) =>
    comparePostgres(await c.backend(), entries, pgSchema, snap.rowCounts, input),
  );
}

async function comparePostgres(
  backend: Backend,
  entries: readonly BranchEntry[],
  pgSchema: SchemaSnapshot,
  checkpointCounts: Record<string, number>,
  input: CompareInput,
): Promise<BranchComparison> {
  const reference = entries[0]!.checkpoint;
  const timeoutMs = input.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxRows = input.maxRows ?? DEFAULT_MAX_ROWS;

  const rowCounts: BranchComparison['row_counts'] = {};
  const put = (relation: string, column: string, value: number | null) => {
    rowCounts[relation] ??= {};
    rowCounts[relation][column] = value;
  };
  for (const [rel, n] of Object.entries(checkpointCounts)) put(rel, `checkpoint:${reference}`, n);

  const queryResults: BranchComparison['query_results'] = {};
  const schemaDifferences: BranchComparison['schema_differences'] = {};
  for (const b of entries) {
    throwIfAborted(input.signal);
    // As the branch's reader role: it can read the branch and nothing else, whatever the query calls.
    await withBranchClient(
      backend,
      b.name,
      async (c) => {
        const counts = await exactRowCounts(c);
        for (const rel of new Set([...Object.keys(checkpointCounts), ...Object.keys(counts)]))
          put(rel, b.name, counts[rel] ?? null);
        const diff = diffSchemas(pgSchema, await snapshotSchema(c));
        schemaDifferences[b.name] =
          b.checkpoint === reference ? diff : [`(branch of ${b.checkpoint}, not ${reference})`, ...diff];
        if (input.query !== undefined)
          queryResults[b.name] = await readOnlyQuery(c, input.query, timeoutMs, maxRows);
      },
      { as: 'reader', applicationName: 'vers-db:compare' },
    );
  }
  // A query that tries to write fails the same way on every branch: say so once, clearly.
  const violation = Object.values(queryResults).find((r) =>
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
  return {
    branches: input.branches,
    reference,
    query: input.query ?? null,
    query_results: queryResults,
    row_counts: rowCounts,
    schema_differences: schemaDifferences,
  };
}

async function readOnlyQuery(
  c: import('pg').Client,
  query: string,
  timeoutMs: number,
  maxRows: number,
): Promise<QueryResult> {
  try {
    return await withTransaction(c, { readOnly: true }, async () => {
      await c.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
      // Extended protocol (exactly one statement, nothing smuggled after it), at most maxRows + 1 rows.
      const r = await boundedQuery(c, query, maxRows, MAX_RESULT_BYTES);
      return {
        columns: r.columns,
        rows: r.rows,
        row_count: r.rows.length,
        truncated: r.truncated,
        error: null,
      };
    });
  } catch (err) {
    const e = err as { code?: string; message: string };
    return {
      columns: [],
      rows: [],
      row_count: 0,
      truncated: false,
      error: `${e.code ?? 'error'} ${e.message}`,
    };
  }
}
