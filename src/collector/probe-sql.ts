/**
 * The statements a probe sends: what an application sends, through the planner, each bracketed by
 * the server's clock so the wait is measured on the server, free of network and event-loop delays.
 * - read: a keyed lookup (`SELECT … WHERE key = k`), or a bounded scan where there is no key.
 * - write: the table lock an UPDATE takes (ROW EXCLUSIVE) and the row lock a non-key UPDATE takes
 *   (`FOR NO KEY UPDATE`) — where a row UPDATE waits, without writing a row version — rolled back.
 * - cross-check: now and then a real `UPDATE … SET c = c`, rolled back; it also meets triggers and
 *   constraint checks the lock-only write skips.
 * All run in one round trip, in a transaction with lock_timeout and statement_timeout, and roll back.
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

/** One round trip: begin, timeouts, clock, the statement, clock, rollback. */
export function probeSql(
  target: ProbeTarget,
  statement: ProbeStatement,
  key: string | null,
  lockTimeoutMs: number,
): string {
  const lockTimeout = Math.max(1, Math.round(lockTimeoutMs));
  // A probe never runs longer than its lock wait allows plus a margin for the statement itself.
  const statementTimeout = lockTimeout + 5000;
  return [
    'BEGIN',
    `SET LOCAL lock_timeout = '${lockTimeout}ms'`,
    `SET LOCAL statement_timeout = '${statementTimeout}ms'`,
    SERVER_MS,
    probeBody(target, statement, key),
    SERVER_MS,
    'ROLLBACK',
  ].join('; ');
}

/** Server-side time of the probe statement, from the two timestamps around it, or null. */
export function serverElapsed(results: unknown): number | null {
  if (!Array.isArray(results)) return null;
  const times = results
    .map((r) => (r as { command?: string; rows?: Array<{ t?: unknown }> }).rows?.[0]?.t)
    .filter((t): t is number => typeof t === 'number');
  return times.length === 2 ? times[1]! - times[0]! : null;
}
