/**
 * What the vers backend does differently per engine: the server in the VM (its port, its own
 * user and the password setting for it, the read-only user), how a login through a fresh tunnel
 * is awaited, the environment `exec` gives commands, and what is done on the base VM's server
 * before a commit. The driver and the session ask `versEngine(name)`; they never test a name.
 */
import type { EngineName } from '../engines/engine.js';
import type { MysqlSettings } from '../engines/mysql/client.js';
import { mysqlSourceDatabase } from '../engines/mysql/source-database.js';
import { type ClientConfig, displayUrl, withDatabase } from '../util/pg.js';
import type { BranchConnection, SourceDatabase } from './backend.js';
import { unknownSourceDatabase } from './messages.js';
import { databaseExists } from './pg-admin.js';
import {
  ensureMysqlReader,
  flushForCommit,
  mysqlDatabaseExists,
  mysqlDisplayUrl,
  mysqlEnvScript,
  mysqlSettingsOf,
  VERS_MYSQL_READER,
  VERS_MYSQL_USER,
  VM_MYSQL_PORT,
  waitForMysqlLogin,
} from './vers-mysql.js';
import { pgEnvScript, VM_PG_PORT, waitForPgLogin } from './vers-postgres.js';
import { ensureReaderRole, VERS_READER_ROLE } from './vers-reader.js';
import { VERS_SETTINGS } from './vers-settings.js';

export interface VersEngine {
  readonly name: EngineName;
  /** The server the VM runs, for messages: "PostgreSQL", "MariaDB". */
  readonly server: string;
  /** Where it listens inside a VM (tunnels forward to it). */
  readonly port: number;
  /** The local port the printed `vers tunnel` commands suggest, and the URL scheme for it. */
  readonly tunnelPort: number;
  readonly urlScheme: string;
  /** The VM's own password-authenticated user, and the registry setting with its password. */
  readonly user: string;
  readonly passwordSetting: string;
  /** The read-only user checkpoints make in the base VM (every VM of a commit has it). */
  readonly readerUser: string;
  /** Wait until a login through a fresh tunnel works (the VM may still be booting). */
  waitForLogin(config: ClientConfig, timeoutMs: number, signal?: AbortSignal): Promise<void>;
  displayUrl(config: ClientConfig): string;
  /** `export` lines putting the database into the engine's client environment (PG*, MYSQL_*). */
  envScript(database: string, password: string, extra?: Record<string, string>): string;
  /**
   * On the base VM's server, right before a commit: the database exists, the reader may read it,
   * and what must be on disk is. `vm` names the VM in errors.
   */
  prepareCommit(conn: BranchConnection, database: string, readerPassword: string, vm: string): Promise<void>;
  /**
   * Databases beside the source, through a connection to it (MySQL). Absent: the managed layer
   * makes them with admin SQL on the source's server (PostgreSQL, withAdmin).
   */
  sourceDatabase?(conn: BranchConnection, name: string): SourceDatabase;
}

const postgresInVm: VersEngine = {
  name: 'postgres',
  server: 'PostgreSQL',
  port: VM_PG_PORT,
  tunnelPort: 15432,
  urlScheme: 'postgres',
  user: 'postgres',
  passwordSetting: VERS_SETTINGS.password,
  readerUser: VERS_READER_ROLE,
  waitForLogin: waitForPgLogin,
  displayUrl,
  envScript: pgEnvScript,
  async prepareCommit(conn, database, readerPassword, vm) {
    if (!(await databaseExists(conn.config, database))) throw unknownSourceDatabase(database, `VM ${vm}`);
    await ensureReaderRole(withDatabase(conn.config, database), readerPassword);
  },
};

/**
 * MySQL: the reader user is made, then every table is flushed (FLUSH TABLES). No read lock is
 * held across the commit and the server is not stopped: a vers commit pauses the VM and keeps
 * its memory with its disk, so a lock held then would be held forever in every branch by a
 * session whose client is gone, and a stopped server would be stopped in every branch. InnoDB's
 * redo log makes even a disk-only snapshot recoverable; the flush covers the Aria system tables.
 */
const mariadbInVm: VersEngine = {
  name: 'mysql',
  server: 'MariaDB',
  port: VM_MYSQL_PORT,
  tunnelPort: 13306,
  urlScheme: 'mysql',
  user: VERS_MYSQL_USER,
  passwordSetting: VERS_SETTINGS.mysqlPassword,
  readerUser: VERS_MYSQL_READER,
  waitForLogin: (config, timeoutMs, signal) => waitForMysqlLogin(withDb(config), timeoutMs, signal),
  displayUrl: (config) => mysqlDisplayUrl(withDb(config)),
  envScript: mysqlEnvScript,
  async prepareCommit(conn, database, readerPassword, vm) {
    const s = mysqlSettingsOf(conn);
    if (!(await mysqlDatabaseExists(s, database))) throw unknownSourceDatabase(database, `VM ${vm}`);
    await ensureMysqlReader(s, database, readerPassword);
    await flushForCommit(s);
  },
  sourceDatabase: (conn, name) => mysqlSourceDatabase(async () => mysqlSettingsOf(conn), name),
};

/** mysql2 settings for a tunnel's connection, with its database. */
function withDb(config: ClientConfig): MysqlSettings {
  return { ...mysqlSettingsOf({ config }), ...(config.database ? { database: config.database } : {}) };
}

const VERS_ENGINES: Readonly<Record<EngineName, VersEngine>> = {
  postgres: postgresInVm,
  mysql: mariadbInVm,
};

export const versEngine = (name: EngineName): VersEngine => VERS_ENGINES[name];
