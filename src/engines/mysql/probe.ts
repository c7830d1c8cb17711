/**
 * One application probe on MySQL/MariaDB: a keyed read or a rolled-back keyed write on its own
 * connection, with bounded lock waits, timed on the caller's clock. A wait is the probe's latency;
 * why it waited is told by the lock sampler's runs for this connection at that time.
 */
import type { RowDataPacket } from 'mysql2';
import { SESSION_TIMEOUTS_SQL } from './admin-sql.js';
import type { MysqlConnection } from './client.js';
import {
  LOCK_WAIT_TIMEOUT_ERRNO,
  PRIMARY_KEY_SQL,
  type PrimaryKeyRow,
  ROLLBACK_SQL,
  readProbeSql,
  START_TRANSACTION_SQL,
  STATEMENT_TIMEOUT_ERRNOS,
  sampleKeysSql,
  writeProbeSql,
} from './probe-sql.js';

export type ProbeKind = 'read' | 'write';

export interface ProbeTarget {
  database: string;
  table: string;
  /** The primary key's first column. */
  key: string;
}

export interface ProbeResult {
  kind: ProbeKind;
  /** Connection id of the probe, to match the sampler's wait runs. */
  connection: number;
  start: number;
  end: number;
  outcome: 'ok' | 'timeout' | 'error';
  error: string | null;
}

/** The probe target of a table, or null when it has no primary key to address a row by. */
export async function probeTarget(
  c: MysqlConnection,
  database: string,
  table: string,
): Promise<ProbeTarget | null> {
  const [rows] = await c.query<RowDataPacket[]>(PRIMARY_KEY_SQL, [database, table]);
  const key = (rows as PrimaryKeyRow[])[0]?.column_name;
  return key ? { database, table, key } : null;
}

export async function sampleKeys(c: MysqlConnection, t: ProbeTarget, count: number): Promise<unknown[]> {
  const [rows] = await c.query<RowDataPacket[]>(sampleKeysSql(t.database, t.table, t.key), [count]);
  return rows.map((r) => r.k);
}

/**
 * Make `c` a probe connection: lock waits bounded to `lockWaitSeconds` (MySQL counts whole
 * seconds, at least 1), for metadata locks and row locks alike.
 */
export async function prepareProbeConnection(c: MysqlConnection, lockWaitSeconds: number): Promise<void> {
  const s = Math.max(1, Math.ceil(lockWaitSeconds));
  await c.query(SESSION_TIMEOUTS_SQL, [s, s]);
}

export async function runProbe(
  c: MysqlConnection,
  kind: ProbeKind,
  t: ProbeTarget,
  key: unknown,
  clock: { now(): number },
): Promise<ProbeResult> {
  const start = clock.now();
  let outcome: ProbeResult['outcome'] = 'ok';
  let error: string | null = null;
  let end = start;
  try {
    if (kind === 'read') {
      await c.query(readProbeSql(t.database, t.table, t.key), [key]);
      end = clock.now();
    } else {
      await c.query(START_TRANSACTION_SQL);
      try {
        await c.query(writeProbeSql(t.database, t.table, t.key), [key]);
        end = clock.now();
      } finally {
        await c.query(ROLLBACK_SQL);
      }
    }
  } catch (err) {
    end = clock.now();
    const errno = (err as { errno?: number }).errno;
    outcome =
      errno === LOCK_WAIT_TIMEOUT_ERRNO || (errno && STATEMENT_TIMEOUT_ERRNOS.has(errno))
        ? 'timeout'
        : 'error';
    error = (err as Error).message;
  }
  return { kind, connection: c.threadId, start, end, outcome, error };
}
