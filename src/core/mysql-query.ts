/**
 * A comparison query on a MySQL/MariaDB branch: one statement that only reads, run in a READ
 * ONLY transaction with a statement time limit, fetching at most `maxRows + 1` rows and about
 * `maxBytes` of row data. Past that the connection is dropped (the server stops sending), so
 * `SELECT * FROM big_table` does not cost the table. A statement that is not a read is refused
 * before it is sent: on MySQL a DDL statement commits implicitly, READ ONLY or not.
 */
import type { Connection as CoreConnection, FieldPacket, RowDataPacket } from 'mysql2';
import { connectMysql, type MysqlConnection, type MysqlSettings } from '../engines/mysql/client.js';
import { splitMysql } from '../engines/mysql/split.js';
import { InvalidInputError } from '../errors.js';
import { failedQueryResult, type QueryResult } from './comparison-builder.js';

/** First words of statements that only read (SELECT … INTO OUTFILE and locking reads refused below). */
const READ_KEYWORDS = /^\s*(\(\s*)*(select|with|table|values|show|describe|desc|explain)\b/i;
const NOT_A_READ = /\binto\s+(outfile|dumpfile)\b|\bfor\s+update\b|\block\s+in\s+share\s+mode\b/i;

const START_READ_ONLY_SQL = 'START TRANSACTION READ ONLY';
/** MariaDB: seconds, any statement; MySQL: milliseconds, SELECT only. Whichever the server has. */
const MARIADB_TIMEOUT_SQL = 'SET SESSION max_statement_time = ?';
const MYSQL_TIMEOUT_SQL = 'SET SESSION max_execution_time = ?';
const ROLLBACK_SQL = 'ROLLBACK';

/** One statement that only reads, or the error that says why not (before any branch is read). */
export function checkMysqlQuery(query: string): void {
  let statements: ReturnType<typeof splitMysql>;
  try {
    statements = splitMysql(query, 'comparison query');
  } catch (err) {
    throw new InvalidInputError(`comparison query is not valid SQL: ${(err as Error).message}`);
  }
  if (statements.length !== 1)
    throw new InvalidInputError(`comparison query must be one statement, got ${statements.length}`);
  const sql = statements[0]!.sql;
  if (!READ_KEYWORDS.test(sql) || NOT_A_READ.test(sql)) {
    throw new InvalidInputError('comparison query must only read', {
      hint: 'it runs in a READ ONLY transaction on every branch; use a SELECT (no INTO OUTFILE, no FOR UPDATE)',
    });
  }
}

export async function readOnlyMysqlQuery(
  settings: MysqlSettings,
  query: string,
  timeoutMs: number,
  maxRows: number,
  maxBytes: number,
): Promise<QueryResult> {
  const statement = splitMysql(query, 'comparison query')[0]!.sql;
  let c: MysqlConnection | null = null;
  try {
    c = await connectMysql(settings);
    await c
      .query(MARIADB_TIMEOUT_SQL, [Math.max(0.001, timeoutMs / 1000)])
      .catch(() => c!.query(MYSQL_TIMEOUT_SQL, [Math.max(1, Math.floor(timeoutMs))]));
    await c.query(START_READ_ONLY_SQL);
    const r = await boundedRows(c, statement, timeoutMs, maxRows, maxBytes);
    if (!r.truncated) await c.query(ROLLBACK_SQL);
    return { ...r, row_count: r.rows.length, error: null };
  } catch (err) {
    return failedQueryResult(err);
  } finally {
    if (c) await c.end().catch(() => c!.destroy());
  }
}

/** Stream the rows; keep maxRows (+1 tells truncation); past that or maxBytes, drop the connection. */
function boundedRows(
  c: MysqlConnection,
  sql: string,
  timeoutMs: number,
  maxRows: number,
  maxBytes: number,
): Promise<{ columns: string[]; rows: Record<string, unknown>[]; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    const rows: Record<string, unknown>[] = [];
    let columns: string[] = [];
    let bytes = 0;
    let done = false;
    const finish = (truncated: boolean) => {
      if (done) return;
      done = true;
      if (truncated) c.destroy();
      resolve({ columns, rows, truncated });
    };
    // The promise wrapper's underlying callback connection streams rows as events.
    const core = (c as unknown as { connection: CoreConnection }).connection;
    const q = core.query({ sql, timeout: timeoutMs + 1000 });
    q.on('fields', (fields: FieldPacket[]) => {
      columns = fields.map((f) => f.name);
    });
    q.on('result', (row: RowDataPacket) => {
      if (done) return;
      bytes += JSON.stringify(row).length;
      if (rows.length >= maxRows || bytes > maxBytes) return finish(true);
      rows.push({ ...row });
    });
    q.on('error', (err: Error) => {
      if (!done) {
        done = true;
        reject(err);
      }
    });
    q.on('end', () => finish(false));
  });
}
