/**
 * The statements a probe sends: what an application sends, through the planner, each bracketed by
 * the server's clock so the wait is measured on the server, free of network and event-loop delays.
 * - read: a keyed lookup (`SELECT … WHERE key = k`), or a bounded scan where there is no key.
 * - write: the table lock an UPDATE takes (ROW EXCLUSIVE) and the row lock a non-key UPDATE takes
 *   (`FOR NO KEY UPDATE`) — where a row UPDATE waits, without writing a row version — rolled back.
 * - cross-check: now and then a real `UPDATE … SET c = c`, rolled back; it also meets triggers and
 *   constraint checks the lock-only write skips.
 * All run in one round trip under the session's lock_timeout and statement_timeout, and change nothing.
 */
import pg from 'pg';
import { quoteIdent } from '../util/pg.js';
import type { ProbeTarget } from './probe-targets.js';

export type ProbeStatement = 'read' | 'write' | 'update';

/** Server time in ms. */
const SERVER_MS = 'SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS t';

/** Key values come from the database itself, but are still quoted as literals, never pasted. */
const literal = (value: string): string => pg.escapeLiteral(value);

function qualified(target: ProbeTarget): string {
  return `${quoteIdent(target.schema)}.${quoteIdent(target.table)}`;
}

/** `WHERE key = 'k'` for the key column (or ctid), or nothing for a bounded scan. */
function keyFilter(target: ProbeTarget, key: string | null): string {
  if (!target.key || key === null) return '';
  const column = target.key.column === 'ctid' ? 'ctid' : quoteIdent(target.key.column);
  return ` WHERE ${column} = ${literal(key)}`;
}

/** The statement whose wait is measured. */
export function probeBody(target: ProbeTarget, statement: ProbeStatement, key: string | null): string {
  const from = qualified(target);
  const where = keyFilter(target, key);
  switch (statement) {
    case 'read':
      return `SELECT 1 FROM ${from}${where} LIMIT 1`;
    case 'write':
      return `LOCK TABLE ${from} IN ROW EXCLUSIVE MODE; SELECT 1 FROM ${from}${where} LIMIT 1 FOR NO KEY UPDATE`;
    case 'update': {
      const col = quoteIdent(target.updatable ?? '');
      // Without a key, update one row found by a bounded scan.
      const row = where || ` WHERE ctid = (SELECT ctid FROM ${from} LIMIT 1)`;
      return `UPDATE ${from} SET ${col} = ${col}${row}`;
    }
  }
}

/** A probe never runs longer than its lock wait allows plus this margin for the statement itself. */
export const PROBE_STATEMENT_MARGIN_MS = 5000;

/**
 * One round trip: clock, the statement, clock. A read runs in the batch's implicit transaction;
 * a write is wrapped in BEGIN … ROLLBACK, so the row locks it took and the cross-check's row
 * version are undone. lock_timeout and statement_timeout are the probe session's own settings
 * (see probeSessionConfig), so the round trip carries no SETs: probes stay cheap.
 */
export function probeSql(target: ProbeTarget, statement: ProbeStatement, key: string | null): string {
  const body = [SERVER_MS, probeBody(target, statement, key), SERVER_MS];
  return (statement === 'read' ? body : ['BEGIN', ...body, 'ROLLBACK']).join('; ');
}

/** The probe session's timeouts: set once at connect, in force for every probe. */
export function probeSessionConfig<T extends object>(
  config: T,
  lockTimeoutMs: number,
): T & { lock_timeout: number; statement_timeout: number } {
  const lockTimeout = Math.max(1, Math.round(lockTimeoutMs));
  return { ...config, lock_timeout: lockTimeout, statement_timeout: lockTimeout + PROBE_STATEMENT_MARGIN_MS };
}

/** Server-side time of the probe statement, from the two timestamps around it, or null. */
export function serverElapsed(results: unknown): number | null {
  if (!Array.isArray(results)) return null;
  const times = results
    .map((r) => (r as { command?: string; rows?: Array<{ t?: unknown }> }).rows?.[0]?.t)
    .filter((t): t is number => typeof t === 'number');
  return times.length === 2 ? times[1]! - times[0]! : null;
}
