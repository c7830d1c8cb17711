/**
 * MySQL/MariaDB in the bench: tool-owned servers (src/engines/mysql/), the use case's example data
 * at a target size (examples/mysql/), and the traditional reset: `mariadb-dump` once, then
 * `mariadb < dump.sql` into a fresh server. Clients get the password through MYSQL_PWD (never argv).
 */
import { join } from 'node:path';
import { execa } from 'execa';
import { loadMysqlExample } from '../../src/cli/demo/mysql-example.js';
import { examplesDir } from '../../src/cli/demo.js';
import { DATABASE_SIZE_SQL, dropDatabaseSql } from '../../src/engines/mysql/admin-sql.js';
import { type MysqlSettings, withMysql } from '../../src/engines/mysql/client.js';
import { type MysqlServer, startServer } from '../../src/engines/mysql/server.js';
import { log } from './log.js';
import { timed } from './timing.js';

const CALIBRATION_USERS = 20_000;
const CALIBRATION_DB = 'bench_calibrate';

/** Bytes of data and indexes in a database (InnoDB's own figures, after ANALYZE TABLE). */
export async function databaseBytes(settings: MysqlSettings, database: string): Promise<number> {
  return withMysql(settings, async (c) => {
    const [rows] = await c.query(DATABASE_SIZE_SQL, [database]);
    return Number((rows as Array<{ bytes: string }>)[0]?.bytes ?? 0);
  });
}

/** Users to generate for `targetBytes` of tables, from a 20 000-user sample (dropped again). */
export async function mysqlUsersFor(settings: MysqlSettings): Promise<(targetBytes: number) => number> {
  await loadMysqlExample(settings, examplesDir(), CALIBRATION_DB, CALIBRATION_USERS);
  const bytes = await databaseBytes(settings, CALIBRATION_DB);
  await withMysql(settings, (c) => c.query(dropDatabaseSql(CALIBRATION_DB)));
  const perUser = bytes / CALIBRATION_USERS;
  log(`mysql: ${Math.round(perUser)} bytes of tables per user (users + 2 orders, with indexes)`);
  return (targetBytes) => Math.max(1000, Math.round(targetBytes / perUser));
}

/** Start a tool-owned server in `root` (initialised on first start) with a buffer pool for `bytes`. */
export function startBenchServer(root: string, bufferPoolBytes: number): Promise<MysqlServer> {
  return startServer(root, { bufferPoolBytes, log: (m) => log(`mysql: ${m}`) });
}

function clientArgs(s: MysqlSettings): string[] {
  return ['--protocol=TCP', '-h', s.host, '-P', String(s.port), '-u', s.user];
}

const clientEnv = (s: MysqlSettings) => ({ MYSQL_PWD: s.password });

/** `mariadb-dump --single-transaction --quick --databases <db>` to `file`; returns its wall time. */
export async function mysqlDump(s: MysqlSettings, database: string, file: string): Promise<number> {
  const { ms } = await timed(() =>
    execa(
      'mariadb-dump',
      [...clientArgs(s), '--single-transaction', '--quick', `--result-file=${file}`, '--databases', database],
      { env: clientEnv(s) },
    ),
  );
  return ms;
}

/** `mariadb < file` (the dump creates its database); returns its wall time. */
export async function mysqlReload(s: MysqlSettings, file: string): Promise<number> {
  const { ms } = await timed(() => execa('mariadb', clientArgs(s), { env: clientEnv(s), inputFile: file }));
  return ms;
}

/** `mariadbd --version` of the programs the engine would start. */
export async function mariadbVersion(): Promise<string> {
  const r = await execa('mariadb', ['--version'], { reject: false });
  return /(\d+\.\d+\.\d+-MariaDB[\w.+~-]*)/.exec(r.stdout)?.[1] ?? r.stdout.trim();
}

export const serverRoot = (dir: string, name: string) => join(dir, name);
