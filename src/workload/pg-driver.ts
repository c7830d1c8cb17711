/**
 * The workload's sessions on PostgreSQL (runner.ts's WorkloadDriver): statement_timeout per
 * session, writes that roll back inside BEGIN … ROLLBACK, every returned value as the server's
 * text, and the WAL position for the workload's own WAL.
 */
import type pg from 'pg';
import { connect } from '../util/pg.js';
import { SQLSTATE } from '../util/sqlstate.js';
import type { StatementRun, WorkloadDriver } from './driver.js';
import type { WorkloadSpec, WorkloadStatement } from './file.js';

export const APP_WORKLOAD = 'vers-db:workload';
const WAL_LSN_SQL = 'SELECT pg_current_wal_insert_lsn()::text AS lsn';
const WAL_DIFF_SQL = 'SELECT pg_wal_lsn_diff($2::pg_lsn, $1::pg_lsn)::float8 AS bytes';
const SET_TIMEOUT_SQL = "SELECT set_config('statement_timeout', $1, false)";
/** Every value comes back as the server's text, so it can be compared exactly afterwards. */
const TEXT_TYPES = { getTypeParser: () => (value: string) => value };

export class PgWorkloadDriver implements WorkloadDriver<pg.Client> {
  readonly leavesDeadTuples = true;

  constructor(
    private readonly connection: pg.ClientConfig,
    private readonly spec: WorkloadSpec,
    /** Reads WAL positions; idle otherwise. */
    private readonly control: pg.Client,
    private readonly clock: { now(): number },
    /** Register each session so cancellation reaches it. */
    private readonly adopt?: (client: pg.Client) => void,
  ) {}

  async open(): Promise<pg.Client> {
    const client = await connect(this.connection, APP_WORKLOAD);
    await client.query(SET_TIMEOUT_SQL, [String(this.spec.timeoutMs)]);
    this.adopt?.(client);
    return client;
  }

  async close(client: pg.Client): Promise<void> {
    await client.end();
  }

  async run(
    client: pg.Client,
    s: WorkloadStatement,
    values: (string | null)[],
    rollback: boolean,
  ): Promise<StatementRun> {
    const query = { text: s.sql, values, types: TEXT_TYPES };
    let start = this.clock.now();
    let error: string | null = null;
    let result: pg.QueryResult | null = null;
    try {
      if (rollback) {
        await client.query('BEGIN');
        start = this.clock.now();
      }
      result = await client.query(query);
    } catch (err) {
      error = (err as { code?: string }).code ?? 'connection';
    }
    const end = this.clock.now();
    if (rollback && error !== 'connection') await client.query('ROLLBACK').catch(() => undefined);
    const columns = result?.fields.map((f) => f.name) ?? [];
    return {
      start,
      end,
      error,
      timedOut: error === SQLSTATE.QUERY_CANCELED,
      rowCount: result?.rowCount ?? 0,
      columns,
      rows: ((result?.rows ?? []) as Record<string, string | null>[]).map((row) =>
        columns.map((c) => row[c] ?? null),
      ),
    };
  }

  logPosition(): Promise<string | null> {
    // A standby or a server without WAL functions: no WAL figure rather than a failed run.
    return this.control
      .query<{ lsn: string }>(WAL_LSN_SQL)
      .then((r) => r.rows[0]?.lsn ?? null)
      .catch(() => null);
  }

  logBytes(from: string, to: string): Promise<number | null> {
    return this.control
      .query<{ bytes: number }>(WAL_DIFF_SQL, [from, to])
      .then((r) => Math.max(0, Number(r.rows[0]?.bytes ?? 0)))
      .catch(() => null);
  }
}
