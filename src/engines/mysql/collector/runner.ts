/**
 * Run a MySQL migration's statements in order on one connection, each timed on the shared clock.
 * The first failure stops the run and is reported with its position in the file (line and column
 * from split.ts). Whatever transaction the file left open — after a failure, or because it never
 * committed — is rolled back, so the branch is left as the statements that completed made it.
 */
import type { StatementResult } from '../../../result.js';
import type { MysqlConnection } from '../client.js';
import type { MysqlStatement } from '../split.js';

export interface RanStatement {
  statement: MysqlStatement;
  start: number;
  end: number;
  error: string | null;
  /** MySQL's SQLSTATE of the error, when there was one. */
  sqlstate: string | null;
}

export interface RunOutcome {
  ran: RanStatement[];
  /** The statement that failed, or null. */
  failed: RanStatement | null;
  /** The file left a transaction open: it was rolled back after the run. */
  leftTransactionOpen: boolean;
}

/** MariaDB and MySQL 8 both say whether the session is inside a transaction. */
export const IN_TRANSACTION_SQL = 'SELECT @@in_transaction AS open';
export const ROLLBACK_SQL = 'ROLLBACK';

/** Told as each statement starts and ends (the timeout watchdog, interrupt.ts). */
export interface StatementHooks {
  statementStarted(): void;
  statementEnded(): void;
}

export async function runStatements(
  c: MysqlConnection,
  statements: readonly MysqlStatement[],
  clock: { now(): number },
  hooks?: StatementHooks,
): Promise<RunOutcome> {
  const ran: RanStatement[] = [];
  let failed: RanStatement | null = null;
  for (const statement of statements) {
    const start = clock.now();
    hooks?.statementStarted();
    try {
      await c.query(statement.sql);
      ran.push({ statement, start, end: clock.now(), error: null, sqlstate: null });
    } catch (err) {
      const e = err as { message?: string; sqlState?: string };
      failed = {
        statement,
        start,
        end: clock.now(),
        error: `${e.message ?? String(err)} (statement ${statement.index}, line ${statement.line}, column ${statement.column})`,
        sqlstate: e.sqlState ?? null,
      };
      ran.push(failed);
      break;
    } finally {
      hooks?.statementEnded();
    }
  }
  let leftTransactionOpen = false;
  try {
    const [rows] = await c.query(IN_TRANSACTION_SQL);
    leftTransactionOpen = Number((rows as Array<{ open: unknown }>)[0]?.open ?? 0) === 1;
  } finally {
    // Roll back in any case: after a failure the server keeps the open transaction's locks.
    await c.query(ROLLBACK_SQL);
  }
  return { ran, failed, leftTransactionOpen: leftTransactionOpen && failed === null };
}

/** The migration statement running at `t`, else the last one begun before it (its transaction may still hold locks). */
export function statementAt(ran: readonly RanStatement[], t: number): RanStatement | null {
  let last: RanStatement | null = null;
  for (const r of ran) {
    if (r.start <= t) last = r;
    else break;
  }
  return last;
}

export function statementResults(
  ran: readonly RanStatement[],
  relative: (t: number) => number,
): StatementResult[] {
  return ran.map((r) => ({
    index: r.statement.index,
    sql: r.statement.sql,
    line: r.statement.line,
    duration_ms: Math.round((r.end - r.start) * 10) / 10,
    error: r.error,
    sqlstate: r.sqlstate,
    start_ms: relative(r.start),
  }));
}
