/**
 * The use case's example on MySQL/MariaDB (examples/mysql/): load schema/v1.sql and the seed
 * generator into a database, and name the strategy files the demo tests. Shared by
 * `vers-db demo --engine mysql`, the MySQL bench part and the examples' test. The files are
 * split as the `mysql` client does (DELIMITER included) and run statement by statement.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createDatabaseSql } from '../../engines/mysql/admin-sql.js';
import {
  type MysqlConnection,
  type MysqlSettings,
  quoteMysqlIdent,
  withMysql,
} from '../../engines/mysql/client.js';
import { splitMysql } from '../../engines/mysql/split.js';

/** The seed generator reads its row count from this user variable (examples/mysql/seeds/generate.sql). */
export const SET_ROWS_SQL = 'SET @vers_db_rows = ?';
/** examples/mysql/validate.sql checks the row counts in these when set. */
export const SET_EXPECTED_SQL = 'SET @expected_users = ?, @expected_orders = ?';
export const MAX_MYSQL_ROWS = 20_000_000;

export interface MysqlStrategyFile {
  /** The strategy's name in the comparison. */
  name: string;
  /** Path under examples/mysql/. */
  file: string;
}

/** The use case's three strategies, then the same ADD COLUMN with ALGORITHM=COPY and INSTANT forced. */
export const MYSQL_STRATEGIES: readonly MysqlStrategyFile[] = [
  { name: 'add-column-with-default', file: 'migrations/v2-strategy-a.sql' },
  { name: 'add-nullable-backfill', file: 'migrations/v2-strategy-b.sql' },
  { name: 'new-table-swap', file: 'migrations/v2-strategy-c.sql' },
  { name: 'algorithm-copy', file: 'migrations/v2-algorithm-copy.sql' },
  { name: 'algorithm-instant', file: 'migrations/v2-algorithm-instant.sql' },
];

export const mysqlExamplesDir = (examples: string): string => join(examples, 'mysql');

/** Run a file's statements in order on `c` (the first failure throws, naming the statement's line). */
export async function runMysqlFile(c: MysqlConnection, path: string): Promise<void> {
  const text = await readFile(path, 'utf8');
  for (const s of splitMysql(text, path)) {
    try {
      await c.query(s.sql);
    } catch (err) {
      throw new Error(`${path}:${s.line}: ${(err as Error).message}`, { cause: err });
    }
  }
}

/**
 * Create `database` on the server (it must not exist; `create: false`: it exists and is empty) and
 * load the example into it: `rows` users and twice as many orders, generated on the server.
 */
export async function loadMysqlExample(
  settings: MysqlSettings,
  examples: string,
  database: string,
  rows: number,
  options: { create?: boolean } = {},
): Promise<void> {
  const dir = mysqlExamplesDir(examples);
  await withMysql(settings, async (c) => {
    if (options.create !== false) await c.query(createDatabaseSql(database));
    await c.query(`USE ${quoteMysqlIdent(database)}`);
    await runMysqlFile(c, join(dir, 'schema', 'v1.sql'));
    await c.query(SET_ROWS_SQL, [rows]);
    await runMysqlFile(c, join(dir, 'seeds', 'generate.sql'));
  });
}
