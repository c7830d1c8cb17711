/**
 * Branch sandboxes on a tool-owned MariaDB server (issue 12, as src/backends/local-sandbox.ts is
 * for PostgreSQL). A branch server gets two users of its own: the owner, with every privilege on
 * the branch's database and nothing on the server (no FILE, SUPER, PROCESS, SHUTDOWN, CREATE USER,
 * GRANT OPTION; nothing on *.* or mysql.*), which runs the migration and the validation commands;
 * and the reader, which can only read the branch's database (comparison queries). The tool user
 * (`superuser`) keeps the server-wide rights the sampler, probes and snapshots need
 * (performance_schema, the process list, information_schema.INNODB_*).
 *
 * The users are created, or re-made, by `branchUsers`, idempotently: passwords are generated once
 * per server directory and kept in its `sandbox/users.json` (owner-only); a call for another
 * database re-makes them (passwords set again, every grant replaced by those on that database); a
 * call for the same database finds them made and changes nothing, so no session of theirs loses a
 * right meanwhile. A copy of a server (checkpoint → branch) does not copy `sandbox/`, so each
 * branch's users get passwords of their own once branchUsers runs on it (until then the copied
 * data directory's users keep the checkpoint's passwords).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidInputError } from '../../errors.js';
import { SHORT_SECTION, withFileLock } from '../../state/file-lock.js';
import { addSecret } from '../../util/secrets.js';
import { connectMysql, type MysqlConnection, type MysqlSettings, withMysql } from './client.js';
import {
  COUNT_ACCOUNTS_SQL,
  createUserSql,
  grantSql,
  OWNER_PRIVILEGES,
  OWNER_USER,
  READ_ONLY_SESSION_SQL,
  READER_PRIVILEGES,
  READER_USER,
  revokeAllSql,
  SANDBOX_HOSTS,
  SYSTEM_DATABASES,
  setPasswordSql,
} from './sandbox-sql.js';
import type { MysqlServer } from './server.js';

export type BranchRole = 'owner' | 'reader' | 'superuser';

/** How to connect to the branch's database as one role. */
export type BranchUserSettings = MysqlSettings & { database: string };

/** Per role: owner (migrations, validations), reader (comparisons), superuser (the tool user: collector). */
export type BranchUsers = Record<BranchRole, BranchUserSettings>;

interface SandboxPasswords {
  owner: string;
  reader: string;
  /** The database they were last granted (absent: not granted yet). */
  database?: string;
}

/**
 * `<root>/sandbox/users.json`, locked by `<root>/sandbox/users.lock`: a directory of its own, as
 * proper-lockfile keeps one lock per locked directory in a process, and the server's root is
 * locked by server-lock.ts (a caller may hold that one while it asks for the users).
 */
export const SANDBOX_DIR = 'sandbox';
export const USERS_FILE = 'users.json';
const USERS_LOCK = 'users.lock';

const newPassword = (): string => randomBytes(18).toString('hex');

async function readPasswords(file: string): Promise<SandboxPasswords | null> {
  const text = await readFile(file, 'utf8').catch(() => null);
  if (text === null) return null;
  const p = JSON.parse(text) as Partial<SandboxPasswords>;
  const ok = (x: unknown): x is string => typeof x === 'string' && /^[0-9a-f]{16,}$/.test(x);
  if (!ok(p.owner) || !ok(p.reader)) return null;
  return {
    owner: p.owner,
    reader: p.reader,
    ...(typeof p.database === 'string' ? { database: p.database } : {}),
  };
}

async function writePasswords(file: string, p: SandboxPasswords): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(p, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, file);
}

/** All four accounts (two users, two hosts) are on the server. */
async function accountsExist(settings: MysqlSettings): Promise<boolean> {
  return withMysql(settings, async (c) => {
    const [rows] = await c.query(COUNT_ACCOUNTS_SQL, [OWNER_USER, READER_USER, [...SANDBOX_HOSTS]]);
    return Number((rows as Array<{ n: unknown }>)[0]?.n ?? 0) === 2 * SANDBOX_HOSTS.length;
  });
}

/** The branch's database must be the user's: not one of the server's own. */
function checkDatabase(database: string): void {
  if (!database || SYSTEM_DATABASES.has(database.toLowerCase())) {
    throw new InvalidInputError(`"${database}" cannot be a branch's database: it is the server's own`);
  }
}

/**
 * Make the owner and reader users of `database` on `server` (again: the same passwords, the
 * grants replaced) and say how to connect as each role. Run while the server runs; it takes a
 * lock of its own (not server-lock.ts's), so it may be called while holding that one.
 */
export async function branchUsers(server: MysqlServer, database: string): Promise<BranchUsers> {
  checkDatabase(database);
  const dir = join(server.layout.root, SANDBOX_DIR);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, USERS_FILE);
  const passwords = await withFileLock(dir, USERS_LOCK, SHORT_SECTION, async () => {
    const kept = await readPasswords(file);
    const p = { owner: kept?.owner ?? newPassword(), reader: kept?.reader ?? newPassword() };
    addSecret(p.owner);
    addSecret(p.reader);
    // Made for this database already: left alone, so no session of theirs loses a right meanwhile.
    if (kept?.database === database && (await accountsExist(server.settings))) return p;
    // Written first: a user made with a password nobody kept would be a user nobody can use.
    await writePasswords(file, p);
    await withMysql(server.settings, async (c) => {
      const users = [
        { user: OWNER_USER, password: p.owner, privileges: OWNER_PRIVILEGES },
        { user: READER_USER, password: p.reader, privileges: READER_PRIVILEGES },
      ];
      for (const u of users) {
        for (const host of SANDBOX_HOSTS) {
          await c.query(createUserSql(u.user, host), [u.password]);
          await c.query(setPasswordSql(u.user, host), [u.password]);
          await c.query(revokeAllSql(u.user, host));
          await c.query(grantSql(u.user, host, u.privileges, database));
        }
      }
    });
    await writePasswords(file, { ...p, database });
    return p;
  });
  const at = { host: server.settings.host, port: server.settings.port, database };
  return {
    owner: { ...at, user: OWNER_USER, password: passwords.owner },
    reader: { ...at, user: READER_USER, password: passwords.reader },
    superuser: { ...at, user: server.settings.user, password: server.settings.password },
  };
}

/** One role's settings (what a storage driver's `branchUser(role)` seam returns). */
export async function branchUser(
  server: MysqlServer,
  database: string,
  role: BranchRole,
): Promise<BranchUserSettings> {
  if (role === 'superuser') {
    checkDatabase(database);
    return { ...server.settings, database };
  }
  return (await branchUsers(server, database))[role];
}

/**
 * A reader session (comparison queries): connected as the reader, and read-only, so that not even
 * a view the owner defined over a writing function can write through it. Use this, not a plain
 * connection, for the reader's settings.
 */
export async function connectBranchReader(settings: BranchUserSettings): Promise<MysqlConnection> {
  const c = await connectMysql(settings);
  try {
    await c.query(READ_ONLY_SESSION_SQL);
  } catch (err) {
    c.destroy();
    throw err;
  }
  return c;
}
