/**
 * The integrity verdict: did the migration leave the data and schema whole? Tables are compared
 * by name (what the application sees), so a table swapped in under the old name is fine.
 */
import type { Integrity } from '../result.js';
import type { DatabaseSnapshot } from './snapshot.js';

export interface IntegrityInput {
  before: DatabaseSnapshot;
  after: DatabaseSnapshot;
  /** The statement that failed (1-based), or null. */
  failedStatement: number | null;
  /** The file left a transaction open, so its work was rolled back. */
  leftTransactionOpen: boolean;
}

/**
 * What every engine checks: the migration finished and committed, and no table lost rows or
 * disappeared. Returns the problems found and the before/after row counts.
 */
export function rowIntegrity(
  before: Record<string, number>,
  after: Record<string, number>,
  failedStatement: number | null,
  leftTransactionOpen: boolean,
): { problems: string[]; rowCounts: Integrity['row_counts'] } {
  const problems: string[] = [];
  if (failedStatement !== null) problems.push(`the migration failed at statement ${failedStatement}`);
  if (leftTransactionOpen) {
    problems.push(
      'the migration opened a transaction and never committed it, so its work was rolled back at the end',
    );
  }
  const rowCounts: Integrity['row_counts'] = {};
  for (const [table, count] of Object.entries(before)) {
    const now = after[table];
    rowCounts[table] = { before: count, after: now ?? null };
    if (now === undefined) problems.push(`table ${table} is gone (it had ${count} rows)`);
    else if (now < count) problems.push(`table ${table} lost ${count - now} rows (${count} -> ${now})`);
  }
  return { problems, rowCounts };
}

export function integrityVerdict({
  before,
  after,
  failedStatement,
  leftTransactionOpen,
}: IntegrityInput): Integrity {
  const { problems, rowCounts } = rowIntegrity(
    before.rowCounts,
    after.rowCounts,
    failedStatement,
    leftTransactionOpen,
  );
  const wasInvalid = new Set(before.invalidIndexes);
  for (const index of after.invalidIndexes) {
    if (!wasInvalid.has(index)) {
      problems.push(
        `index ${index} is invalid (a failed or interrupted CREATE INDEX CONCURRENTLY leaves one behind)`,
      );
    }
  }
  const wasNotValid = new Set(before.notValidConstraints);
  for (const constraint of after.notValidConstraints) {
    if (!wasNotValid.has(constraint)) {
      problems.push(
        `constraint ${constraint} was added NOT VALID and never validated: existing rows are not checked`,
      );
    }
  }
  return {
    ok: problems.length === 0,
    row_counts: rowCounts,
    invalid_indexes: after.invalidIndexes,
    not_valid_constraints: after.notValidConstraints,
    problems,
  };
}
