/**
 * Every connection the collector opens, in one place, so that every path (success, SQL error,
 * cancellation, a dropped connection) closes all of them, and cancellation can reach each one.
 */
import pg from 'pg';
import { connect, withClient } from '../util/pg.js';

/** Application names: anything starting with "vers-db" is never counted as the migration. */
export const APP_MIGRATION = 'vers-db:migration';
export const APP_SNAPSHOT = 'vers-db:snapshot';
export const APP_SAMPLER = 'vers-db:sampler';
export const APP_PROBE = 'vers-db:probe';
export const APP_CANCEL = 'vers-db:cancel';
export const APP_LONG_READER = 'vers-db:long-reader';

/** Cancel what our sessions are running; for a command step also what the command's sessions run. */
const CANCEL_OWN_SQL = 'SELECT pg_cancel_backend(pid) FROM unnest($1::int[]) AS t(pid)';
const CANCEL_EXTERNAL_SQL = `
  SELECT pg_cancel_backend(pid) FROM pg_stat_activity
  WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
    AND coalesce(application_name, '') NOT LIKE 'vers-db%'`;
const BACKEND_ALIVE_SQL = 'SELECT 1 FROM pg_stat_activity WHERE pid = $1';

const BACKEND_EXIT_POLL_MS = 10;
const BACKEND_EXIT_WAIT_MS = 3000;

export const pidOf = (client: pg.Client): number => (client as unknown as { processID: number }).processID;

export class Connections {
  private readonly clients = new Set<pg.Client>();

  constructor(readonly config: pg.ClientConfig) {}

  /** `settings`: startup parameters for this session only (e.g. the migration's statement_timeout). */
  async open(applicationName: string, settings: Partial<pg.ClientConfig> = {}): Promise<pg.Client> {
    const client = await connect({ ...this.config, ...settings }, applicationName);
    this.clients.add(client);
    return client;
  }

  /** Track a client opened elsewhere (the probes open their own). */
  adopt(client: pg.Client): void {
    this.clients.add(client);
  }

  async close(client: pg.Client): Promise<void> {
    this.clients.delete(client);
    await client.end().catch(() => undefined);
  }

  /**
   * Cancel whatever our sessions are running, from a separate connection, so that closing them
   * afterwards does not leave a backend busy with a 30-second statement.
   */
  async cancelAll(options: { external: boolean }): Promise<void> {
    const pids = [...this.clients].map(pidOf).filter((p) => typeof p === 'number');
    const canceller = new pg.Client({
      ...this.config,
      application_name: APP_CANCEL,
      connectionTimeoutMillis: 5000,
    });
    canceller.on('error', () => {});
    try {
      await canceller.connect();
      if (pids.length > 0) await canceller.query(CANCEL_OWN_SQL, [pids]);
      if (options.external) await canceller.query(CANCEL_EXTERNAL_SQL);
    } catch {
      // The server is gone: closing the sockets is all that is left to do.
    } finally {
      await canceller.end().catch(() => undefined);
    }
  }

  /** Cancel what the given sessions of ours are running (the migration's, at its total timeout). */
  async cancelPids(pids: readonly number[]): Promise<void> {
    await withClient(
      this.config,
      async (c) => {
        await c.query(CANCEL_OWN_SQL, [pids]);
      },
      APP_CANCEL,
    ).catch(() => undefined);
  }

  async closeAll(): Promise<void> {
    const all = [...this.clients];
    this.clients.clear();
    await Promise.all(all.map((c) => c.end().catch(() => undefined)));
  }
}

/** Wait until a closed session's backend has exited, so its statistics are flushed. */
export async function waitForBackendExit(control: pg.Client, pid: number): Promise<void> {
  const deadline = Date.now() + BACKEND_EXIT_WAIT_MS;
  while (Date.now() < deadline) {
    const { rowCount } = await control.query(BACKEND_ALIVE_SQL, [pid]);
    if (!rowCount) return;
    await new Promise((resolve) => setTimeout(resolve, BACKEND_EXIT_POLL_MS));
  }
}
