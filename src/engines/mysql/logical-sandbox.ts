/**
 * Branch users on a user's own MySQL/MariaDB server (logical-driver.ts): when the DATABASE_URL's
 * user may create users and grant (CREATE USER and GRANT OPTION on *.*), each branch gets an
 * owner (every privilege on the branch's database, nothing else) and a reader (SELECT, SHOW VIEW
 * on it), named with the state directory's prefix so gc finds its own leftovers and nobody
 * else's. Otherwise there are none, and migrations run as the URL's user (the result says so).
 * The SQL is sandbox-sql.ts's, for accounts of any host (`'%'`: the server is not necessarily
 * local); names are checked against the pattern vers-db gives, passwords are `?` parameters.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { RowDataPacket } from 'mysql2';
import { instancePrefix } from '../../state/names.js';
import type { SandboxRoles } from '../../state/registry.js';
import type { MysqlConnection } from './client.js';
import { GRANTS_SQL, likePrefix } from './logical-copy-sql.js';
import { grantDatabase, OWNER_PRIVILEGES, READER_PRIVILEGES } from './sandbox-sql.js';

/** `vdb_<instance>_o_<12 hex>`: 25 characters, under MySQL's 32 for a user name. */
const USER_PATTERN = /^vdb_[0-9a-f]{6}_[or]_[0-9a-f]{12}$/;
const HOST = '%';

function account(user: string): string {
  if (!USER_PATTERN.test(user)) throw new Error(`not a vers-db branch user: ${user}`);
  return `'${user}'@'${HOST}'`;
}

const createUserSql = (user: string) => `CREATE USER ${account(user)} IDENTIFIED BY ?`;
const dropUserSql = (user: string) => `DROP USER IF EXISTS ${account(user)}`;
const grantSql = (user: string, privileges: string, database: string) =>
  `GRANT ${privileges} ON ${grantDatabase(database)}.* TO ${account(user)}`;
const USERS_LIKE_SQL = `SELECT DISTINCT User AS name FROM mysql.user WHERE User LIKE ? AND Host = '${HOST}'`;

const hash = (branch: string) => createHash('sha256').update(branch).digest('hex').slice(0, 12);
const password = () => randomBytes(18).toString('hex');

/** The users a branch would get (recorded with the branch before they are made). */
export function plannedBranchUsers(instance: string, branch: string): SandboxRoles {
  const prefix = instancePrefix(instance);
  return {
    owner: `${prefix}o_${hash(branch)}`,
    ownerPassword: password(),
    reader: `${prefix}r_${hash(branch)}`,
    readerPassword: password(),
  };
}

/** May this session's user create users and pass on rights (to a branch's database)? */
export async function canCreateUsers(c: MysqlConnection): Promise<boolean> {
  const [grants] = await c.query<RowDataPacket[]>(GRANTS_SQL);
  return grants.some((row) => {
    const g = String(Object.values(row)[0] ?? '');
    return (
      /\bON \*\.\* TO\b/i.test(g) &&
      /\bWITH GRANT OPTION\b/i.test(g) &&
      /^GRANT (ALL PRIVILEGES|.*\bCREATE USER\b)/i.test(g)
    );
  });
}

/** Make the owner and reader of `database` (re-made if a crashed run left them). */
export async function makeBranchUsers(c: MysqlConnection, roles: SandboxRoles, database: string) {
  for (const [user, pw, privileges] of [
    [roles.owner, roles.ownerPassword, OWNER_PRIVILEGES],
    [roles.reader, roles.readerPassword, READER_PRIVILEGES],
  ] as const) {
    await c.query(dropUserSql(user));
    await c.query(createUserSql(user), [pw]);
    await c.query(grantSql(user, privileges, database));
  }
}

export async function dropBranchUsers(c: MysqlConnection, roles: SandboxRoles): Promise<void> {
  for (const user of [roles.owner, roles.reader]) await c.query(dropUserSql(user));
}

/** Users with this instance's prefix (none when mysql.user cannot be read). */
export async function usersWithPrefix(c: MysqlConnection, instance: string): Promise<string[]> {
  const [found] = await c
    .query<RowDataPacket[]>(USERS_LIKE_SQL, [likePrefix(instancePrefix(instance))])
    .catch(() => [[] as RowDataPacket[]]);
  return found.map((r) => String(r.name)).filter((u) => USER_PATTERN.test(u));
}

export async function dropUser(c: MysqlConnection, user: string): Promise<void> {
  await c.query(dropUserSql(user));
}
