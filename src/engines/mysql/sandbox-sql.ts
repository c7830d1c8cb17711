/**
 * The SQL of MySQL/MariaDB branch sandboxes (sandbox.ts). User names and hosts are vers-db's
 * constants, passwords are `?` parameters (hex, generated), the database goes through
 * quoteMysqlIdent after its GRANT wildcards are escaped.
 */
import { quoteMysqlIdent } from './client.js';

/** The branch's owner: every privilege on the branch's database, nothing on the server. */
export const OWNER_USER = 'versdb_owner';
/** The branch's reader: SELECT and SHOW VIEW on the branch's database. */
export const READER_USER = 'versdb_reader';
/** TCP (vers-db) and the unix socket (a validation command's `mariadb` client), as the tool user. */
export const SANDBOX_HOSTS = ['127.0.0.1', 'localhost'] as const;

/** Databases of the server itself: never a branch's database. */
export const SYSTEM_DATABASES = new Set(['mysql', 'information_schema', 'performance_schema', 'sys']);

/** What a role is granted on the branch's database (no GRANT OPTION: it cannot pass rights on). */
export const OWNER_PRIVILEGES = 'ALL PRIVILEGES';
export const READER_PRIVILEGES = 'SELECT, SHOW VIEW';

const account = (user: string, host: string) => `'${user}'@'${host}'`;

function checkAccount(user: string, host: string): void {
  if (![OWNER_USER, READER_USER].includes(user) || !(SANDBOX_HOSTS as readonly string[]).includes(host)) {
    throw new Error(`not a vers-db sandbox account: ${user}@${host}`);
  }
}

/**
 * A database name as a database-level GRANT reads it: `_` and `%` are wildcards there (a grant on
 * `app_1` would cover `appx1` too), so they and the escape character are escaped, then quoted.
 */
export function grantDatabase(name: string): string {
  return quoteMysqlIdent(name.replace(/[\\_%]/g, (c) => `\\${c}`));
}

export function createUserSql(user: string, host: string): string {
  checkAccount(user, host);
  return `CREATE USER IF NOT EXISTS ${account(user, host)} IDENTIFIED BY ?`;
}

/** Also for a user that exists already (from a copied checkpoint): its password becomes ours. */
export function setPasswordSql(user: string, host: string): string {
  checkAccount(user, host);
  return `ALTER USER ${account(user, host)} IDENTIFIED BY ?`;
}

/** Whatever the account had (on any database, from any earlier call), taken away. */
export function revokeAllSql(user: string, host: string): string {
  checkAccount(user, host);
  return `REVOKE ALL PRIVILEGES, GRANT OPTION FROM ${account(user, host)}`;
}

export function grantSql(user: string, host: string, privileges: string, database: string): string {
  checkAccount(user, host);
  if (privileges !== OWNER_PRIVILEGES && privileges !== READER_PRIVILEGES) {
    throw new Error(`not a sandbox privilege list: ${privileges}`);
  }
  return `GRANT ${privileges} ON ${grantDatabase(database)}.* TO ${account(user, host)}`;
}

/** mysql2 expands the list parameter to `?, ?`. */
export const COUNT_ACCOUNTS_SQL = 'SELECT COUNT(*) AS n FROM mysql.user WHERE User IN (?, ?) AND Host IN (?)';

/**
 * Every reader session is read-only too: SELECT alone does not stop a write done with the owner's
 * rights through a view the owner defined (SQL SECURITY DEFINER) over a function that writes.
 */
export const READ_ONLY_SESSION_SQL = 'SET SESSION TRANSACTION READ ONLY';

export const SHOW_GRANTS_SQL = 'SHOW GRANTS FOR CURRENT_USER()';
