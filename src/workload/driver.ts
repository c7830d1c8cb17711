/**
 * What the workload runner (runner.ts) needs from an engine: sessions that run one statement at a
 * time, and the server's redo/WAL position. PostgreSQL's is pg-driver.ts; MySQL's is in
 * src/engines/mysql/workload/.
 */
import type { WorkloadStatement } from './file.js';

/** One statement run by a driver, timed on the shared clock. */
export interface StatementRun {
  /** When the statement itself was sent (after a BEGIN, for a write that rolls back). */
  start: number;
  end: number;
  /** The server's error code (SQLSTATE, or MySQL's error name), 'connection' when the session is gone, null when it succeeded. */
  error: string | null;
  timedOut: boolean;
  rowCount: number;
  /** What it returned, as the server's text, by column. */
  columns: string[];
  rows: (string | null)[][];
}

/** What the runner needs from an engine: sessions that run one statement at a time, and the redo/WAL position. */
export interface WorkloadDriver<S> {
  open(): Promise<S>;
  close(session: S): Promise<void>;
  /** Run `s` with `values`; `rollback`: inside a transaction that is rolled back afterwards. */
  run(session: S, s: WorkloadStatement, values: (string | null)[], rollback: boolean): Promise<StatementRun>;
  /** The server's WAL/redo position (null when it does not say). */
  logPosition(): Promise<string | null>;
  logBytes(from: string, to: string): Promise<number | null>;
  /** Rolled-back and replaced row versions stay behind as dead tuples (PostgreSQL; InnoDB purges them). */
  readonly leavesDeadTuples: boolean;
}
