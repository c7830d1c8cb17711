/**
 * The MariaDB server programs a tool-owned server needs, found on PATH or where Debian installs
 * them. Missing programs are a clear error that says what to install, never ENOENT.
 */
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { execa } from 'execa';
import { BackendError } from '../../errors.js';

export interface MysqlBinaries {
  /** The server: mariadbd (or mysqld on older packages). */
  server: string;
  /** Data directory initialisation: mariadb-install-db (or mysql_install_db). */
  installDb: string;
}

const SERVER_NAMES = ['mariadbd', 'mysqld'];
const INSTALL_DB_NAMES = ['mariadb-install-db', 'mysql_install_db'];
/** Debian puts the server in /usr/sbin, which is not on every user's PATH. */
const EXTRA_DIRS = ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin', '/usr/local/mysql/bin'];

export const INSTALL_HINT =
  'install MariaDB: `apt-get install mariadb-server mariadb-client` (Debian/Ubuntu); vers-db starts its own server and never uses the system service';

async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** VERS_DB_MARIADB_BIN names the one directory to use (a MariaDB outside the usual places). */
function searchDirs(env: NodeJS.ProcessEnv): string[] {
  const only = env.VERS_DB_MARIADB_BIN?.trim();
  if (only) return [only];
  return [...(env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS];
}

async function find(names: readonly string[], env: NodeJS.ProcessEnv): Promise<string | null> {
  const dirs = searchDirs(env);
  for (const name of names)
    for (const dir of dirs) {
      const path = join(dir, name);
      if (await executable(path)) return path;
    }
  return null;
}

/** The server and initialisation programs, or a BackendError naming the package to install. */
export async function findMysqlBinaries(env: NodeJS.ProcessEnv = process.env): Promise<MysqlBinaries> {
  const server = await find(SERVER_NAMES, env);
  const installDb = await find(INSTALL_DB_NAMES, env);
  if (!server || !installDb) {
    const missing = [!server && 'mariadbd', !installDb && 'mariadb-install-db'].filter(Boolean).join(' and ');
    const where = env.VERS_DB_MARIADB_BIN?.trim();
    throw new BackendError(
      `the MariaDB server programs (${missing}) are not installed${where ? ` in ${where} (VERS_DB_MARIADB_BIN)` : ''}`,
      { hint: INSTALL_HINT },
    );
  }
  return { server, installDb };
}

/** True when a MariaDB server can be started here (tests skip without one). */
export async function mysqlServerAvailable(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  return (await find(SERVER_NAMES, env)) !== null && (await find(INSTALL_DB_NAMES, env)) !== null;
}

/** `mariadbd --version`, e.g. "mariadbd  Ver 10.11.19-MariaDB-0+deb12u1 for debian-linux-gnu on x86_64". */
export async function serverVersion(bin: MysqlBinaries): Promise<string> {
  const r = await execa(bin.server, ['--version'], { reject: false });
  const m = /Ver\s+(\S+)/.exec(r.stdout);
  if (r.exitCode !== 0 || !m?.[1]) {
    throw new BackendError(`${bin.server} --version failed: ${(r.stderr || r.stdout).trim()}`, {
      hint: INSTALL_HINT,
    });
  }
  return m[1];
}
