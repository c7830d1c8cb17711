/**
 * Ending a running migration statement from outside: a cancelled call (the signal), a statement
 * that runs longer than VERS_DB_STATEMENT_TIMEOUT, or a migration longer than
 * VERS_DB_MIGRATION_TIMEOUT. MariaDB's max_statement_time does not cover DDL, so a watchdog sends
 * KILL QUERY for the migration's connection on a connection of its own (as the tool user, who may
 * end any session); the statement then fails with "Query execution was interrupted".
 */
import { connectMysql, type MysqlSettings } from '../client.js';

/** The thread id is mysql2's own number for the migration's connection, never user input. */
export const KILL_QUERY_SQL = 'KILL QUERY ?';

export interface InterruptOptions {
  signal?: AbortSignal;
  /** Longest one statement may run, ms. */
  statementMs?: number;
  /** Longest all statements together may run, ms. */
  migrationMs?: number;
}

export class MigrationInterrupter {
  /** Why the running statement was ended (null: it was not). */
  reason: string | null = null;
  private statementTimer: NodeJS.Timeout | null = null;
  private migrationTimer: NodeJS.Timeout | null = null;
  private killing: Promise<void> | null = null;
  private readonly onAbort = () => this.interrupt('the call was cancelled');

  constructor(
    private readonly settings: MysqlSettings,
    private readonly threadId: number,
    private readonly options: InterruptOptions,
  ) {}

  start(): void {
    const { signal, migrationMs } = this.options;
    signal?.addEventListener('abort', this.onAbort, { once: true });
    if (signal?.aborted) this.onAbort();
    if (migrationMs !== undefined && migrationMs > 0) {
      this.migrationTimer = setTimeout(
        () => this.interrupt(`the migration ran longer than ${migrationMs} ms (VERS_DB_MIGRATION_TIMEOUT)`),
        migrationMs,
      );
    }
  }

  statementStarted(): void {
    const ms = this.options.statementMs;
    if (ms === undefined || ms <= 0) return;
    this.statementTimer = setTimeout(
      () => this.interrupt(`the statement ran longer than ${ms} ms (VERS_DB_STATEMENT_TIMEOUT)`),
      ms,
    );
  }

  statementEnded(): void {
    if (this.statementTimer) clearTimeout(this.statementTimer);
    this.statementTimer = null;
  }

  /** Stop watching; waits for a KILL already on its way so no session outlives the run. */
  async stop(): Promise<void> {
    this.statementEnded();
    if (this.migrationTimer) clearTimeout(this.migrationTimer);
    this.migrationTimer = null;
    this.options.signal?.removeEventListener('abort', this.onAbort);
    await this.killing;
  }

  private interrupt(reason: string): void {
    if (this.reason) return;
    this.reason = reason;
    this.killing = (async () => {
      const c = await connectMysql(this.settings).catch(() => null);
      if (!c) return;
      try {
        await c.query(KILL_QUERY_SQL, [this.threadId]);
      } catch {
        // The statement ended on its own meanwhile, or the server is gone: nothing left to end.
      } finally {
        await c.end().catch(() => c.destroy());
      }
    })();
  }
}
