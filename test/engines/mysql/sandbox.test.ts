/**
 * MySQL branch sandboxes on a real MariaDB: the owner can change its own database and nothing
 * else on the server (no files, no other sessions, no server settings, no users); the reader can
 * only read; a migration measured as the owner gives the same result fields as one measured as the
 * tool user.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { branchServer, destroyServer } from '../../../src/engines/mysql/branch.js';
import { connectMysql, type MysqlConnection, type MysqlSettings } from '../../../src/engines/mysql/client.js';
import { measureMysqlMigration } from '../../../src/engines/mysql/collector/measure.js';
import {
  type BranchUsers,
  branchUser,
  branchUsers,
  connectBranchReader,
  SANDBOX_DIR,
  USERS_FILE,
} from '../../../src/engines/mysql/sandbox.js';
import { grantDatabase } from '../../../src/engines/mysql/sandbox-sql.js';
import { stopServer } from '../../../src/engines/mysql/server.js';
import { withServerLock } from '../../../src/engines/mysql/server-lock.js';
import { StrategyResultSchema } from '../../../src/result.js';
import { mariadbAvailable, noteSkipped, useMariadb } from '../../helpers/mariadb.js';

noteSkipped('MariaDB sandbox tests');

/** Every refusal of a privilege: ER_ACCESS_DENIED_ERROR, ER_SPECIFIC_ACCESS_DENIED_ERROR, ER_KILL_DENIED_ERROR … */
const DENIED = /^ER_[A-Z_]*DENIED[A-Z_]*$/;

/** The error code a statement fails with, or 'ok'. */
async function codeOf(c: MysqlConnection, sql: string, values?: unknown[]): Promise<string> {
  try {
    await c.query(sql, values);
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

describe('grantDatabase', () => {
  it('escapes the GRANT wildcards and quotes the name', () => {
    expect(grantDatabase('app_1')).toBe('`app\\_1`');
    expect(grantDatabase('a%b`c')).toBe('`a\\%b``c`');
    expect(grantDatabase('back\\slash')).toBe('`back\\\\slash`');
  });
});

describe.skipIf(!mariadbAvailable)('MySQL branch sandbox users on MariaDB', () => {
  const server = useMariadb('sandbox');
  const open: MysqlConnection[] = [];
  let users: BranchUsers;
  let tool: MysqlConnection;
  let owner: MysqlConnection;
  let reader: MysqlConnection;

  const connect = async (s: MysqlSettings) => {
    const c = await connectMysql(s);
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    tool = await connect(server().settings);
    // app_1 is the branch's; appx1 is what `app_1` would match as an unescaped GRANT pattern.
    for (const db of ['app_1', 'appx1', 'other']) {
      await tool.query(`CREATE DATABASE ${db}`);
      await tool.query(`CREATE TABLE ${db}.t (id INT PRIMARY KEY, v VARCHAR(20))`);
      await tool.query(`INSERT INTO ${db}.t VALUES (1, 'one'), (2, 'two')`);
    }
    users = await branchUsers(server(), 'app_1');
    owner = await connect(users.owner);
    reader = await connect(users.reader);
  }, 120_000);

  afterAll(() => {
    for (const c of open) c.destroy();
  });

  it('gives settings per role, with generated passwords kept owner-only', async () => {
    expect(users.owner.user).toBe('versdb_owner');
    expect(users.reader.user).toBe('versdb_reader');
    expect(users.superuser.user).toBe(server().settings.user);
    for (const role of ['owner', 'reader', 'superuser'] as const) {
      expect(users[role].database).toBe('app_1');
      expect(users[role].port).toBe(server().settings.port);
    }
    expect(users.owner.password).toMatch(/^[0-9a-f]{36}$/);
    expect(users.reader.password).not.toBe(users.owner.password);
    const file = join(server().layout.root, SANDBOX_DIR, USERS_FILE);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, 'utf8')).toContain(users.owner.password);
  });

  it('is idempotent: a second call gives the same users, and their sessions keep working', async () => {
    // Also while the server's own lock is held (a driver asking for its users mid-operation).
    const again = await withServerLock(server().layout.root, () => branchUsers(server(), 'app_1'));
    expect(again).toEqual(users);
    expect(await branchUser(server(), 'app_1', 'owner')).toEqual(users.owner);
    expect(await codeOf(owner, 'SELECT COUNT(*) FROM t')).toBe('ok');
  });

  it('the owner creates, alters, fills and drops tables in its database', async () => {
    expect(await codeOf(owner, 'CREATE TABLE made (id INT PRIMARY KEY)')).toBe('ok');
    expect(await codeOf(owner, 'ALTER TABLE made ADD COLUMN v INT NOT NULL DEFAULT 0')).toBe('ok');
    expect(await codeOf(owner, 'CREATE INDEX made_v ON made (v)')).toBe('ok');
    expect(await codeOf(owner, 'INSERT INTO made VALUES (1, 2)')).toBe('ok');
    expect(await codeOf(owner, 'CREATE VIEW made_view AS SELECT id FROM made')).toBe('ok');
    expect(await codeOf(owner, 'ALTER TABLE t ADD COLUMN w INT, ALGORITHM=INPLACE, LOCK=NONE')).toBe('ok');
    expect(await codeOf(owner, 'DROP VIEW made_view')).toBe('ok');
    expect(await codeOf(owner, 'DROP TABLE made')).toBe('ok');
  });

  it('the owner cannot read or change another database, even one its name matches as a pattern', async () => {
    expect(await codeOf(owner, 'SELECT * FROM other.t')).toBe('ER_TABLEACCESS_DENIED_ERROR');
    expect(await codeOf(owner, 'SELECT * FROM appx1.t')).toBe('ER_TABLEACCESS_DENIED_ERROR');
    expect(await codeOf(owner, 'CREATE TABLE appx1.x (id INT)')).toBe('ER_TABLEACCESS_DENIED_ERROR');
    expect(await codeOf(owner, 'USE other')).toBe('ER_DBACCESS_DENIED_ERROR');
    expect(await codeOf(owner, 'CREATE DATABASE mine')).toBe('ER_DBACCESS_DENIED_ERROR');
    expect(await codeOf(owner, 'SELECT * FROM mysql.user')).toBe('ER_TABLEACCESS_DENIED_ERROR');
    const [dbs] = await owner.query('SHOW DATABASES');
    expect((dbs as Array<{ Database: string }>).map((d) => d.Database).sort()).toEqual([
      'app_1',
      'information_schema',
    ]);
  });

  it('the owner reaches no files, no other sessions, no server settings and no users', async () => {
    expect(await codeOf(owner, "SELECT * FROM t INTO OUTFILE '/tmp/vdb-sandbox-out'")).toMatch(DENIED);
    // LOAD_FILE without FILE gives NULL, never the file.
    const [loaded] = await owner.query("SELECT LOAD_FILE('/etc/passwd') AS f");
    expect((loaded as Array<{ f: unknown }>)[0]?.f).toBeNull();
    expect(await codeOf(owner, "LOAD DATA INFILE '/etc/passwd' INTO TABLE t")).toMatch(DENIED);
    // LOCAL: this process's files. vers-db's connections do not offer them.
    expect(await codeOf(owner, "LOAD DATA LOCAL INFILE '/etc/hostname' INTO TABLE t")).not.toBe('ok');
    const [procs] = await owner.query('SHOW FULL PROCESSLIST');
    const seen = (procs as Array<{ User: string; Id: number }>).map((p) => p.User);
    expect(new Set(seen)).toEqual(new Set(['versdb_owner']));
    expect(seen).not.toContain(server().settings.user);
    expect(await codeOf(owner, `KILL ${tool.threadId}`)).toMatch(DENIED);
    expect(await codeOf(owner, `KILL QUERY ${tool.threadId}`)).toMatch(DENIED);
    expect(await codeOf(owner, 'SET GLOBAL max_connections = 10')).toMatch(DENIED);
    expect(await codeOf(owner, 'SET GLOBAL read_only = 1')).toMatch(DENIED);
    expect(await codeOf(owner, 'SHUTDOWN')).toMatch(DENIED);
    expect(await codeOf(owner, "CREATE USER 'evil'@'%' IDENTIFIED BY 'x'")).toMatch(DENIED);
    expect(await codeOf(owner, "GRANT SELECT ON app_1.* TO 'versdb_reader'@'localhost'")).toBe(
      'ER_DBACCESS_DENIED_ERROR',
    );
    expect(await codeOf(owner, 'SELECT * FROM performance_schema.threads')).not.toBe('ok');
    expect(await codeOf(owner, 'SHOW ENGINE INNODB STATUS')).toMatch(DENIED);
    expect(await codeOf(owner, 'FLUSH TABLES')).toMatch(DENIED);
    expect(await codeOf(owner, "INSTALL SONAME 'ha_example'")).toMatch(DENIED);
    expect(
      await codeOf(owner, `CREATE DEFINER='${server().settings.user}'@'127.0.0.1' VIEW tv AS SELECT 1 AS x`),
    ).toMatch(DENIED);
    const [others] = await owner.query('SELECT USER AS u FROM information_schema.PROCESSLIST');
    expect(new Set((others as Array<{ u: string }>).map((p) => p.u))).toEqual(new Set(['versdb_owner']));
    // The tool's session is still there.
    expect(await codeOf(tool, 'SELECT 1')).toBe('ok');
    const [grants] = await owner.query('SHOW GRANTS');
    const text = (grants as Array<Record<string, string>>).map((g) => Object.values(g)[0]).join('\n');
    expect(text).toMatch(/GRANT USAGE ON \*\.\* TO/);
    expect(text).not.toMatch(/ON \*\.\* TO[^\n]*WITH GRANT OPTION/);
    expect(text).not.toMatch(/GRANT (?!USAGE)[^\n]* ON \*\.\*/);
    expect(text).toMatch(/GRANT ALL PRIVILEGES ON `app\\_1`\.\* TO/);
  });

  it('the reader reads and cannot write', async () => {
    const [rows] = await reader.query('SELECT COUNT(*) AS n FROM t');
    expect(Number((rows as Array<{ n: unknown }>)[0]?.n)).toBe(2);
    expect(await codeOf(reader, "INSERT INTO t (id, v) VALUES (9, 'x')")).toBe('ER_TABLEACCESS_DENIED_ERROR');
    expect(await codeOf(reader, "UPDATE t SET v = 'x'")).toBe('ER_TABLEACCESS_DENIED_ERROR');
    expect(await codeOf(reader, 'DELETE FROM t')).toBe('ER_TABLEACCESS_DENIED_ERROR');
    expect(await codeOf(reader, 'CREATE TABLE r (id INT)')).toBe('ER_TABLEACCESS_DENIED_ERROR');
    expect(await codeOf(reader, 'DROP TABLE t')).toBe('ER_TABLEACCESS_DENIED_ERROR');
    expect(await codeOf(reader, 'SELECT * FROM other.t')).toBe('ER_TABLEACCESS_DENIED_ERROR');
  });

  it('a reader session cannot write even through a view the owner defined over a writing function', async () => {
    await owner.query(
      'CREATE FUNCTION add_row() RETURNS INT MODIFIES SQL DATA BEGIN INSERT INTO t (id, v) VALUES (99, 99); RETURN 1; END',
    );
    await owner.query('CREATE VIEW writes AS SELECT add_row() AS x');
    const rows = async () => {
      const [r] = await tool.query('SELECT COUNT(*) AS n FROM app_1.t WHERE id = 99');
      return Number((r as Array<{ n: unknown }>)[0]?.n);
    };
    // A plain SELECT-only session would write (with the owner's rights); the reader session does not.
    const session = await connectBranchReader(users.reader);
    open.push(session);
    expect(await codeOf(session, 'SELECT * FROM writes')).toBe('ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION');
    expect(await rows()).toBe(0);
    expect(await codeOf(session, 'SELECT COUNT(*) FROM t')).toBe('ok');
    expect(await codeOf(reader, 'SELECT * FROM writes')).toBe('ok');
    expect(await rows()).toBe(1);
    await owner.query('DROP VIEW writes');
    await owner.query('DROP FUNCTION add_row');
    await owner.query('DELETE FROM t WHERE id = 99');
  });

  it('granting another database takes the first one away', async () => {
    const moved = await branchUsers(server(), 'other');
    expect(moved.owner.password).toBe(users.owner.password);
    const c = await connect(moved.owner);
    expect(await codeOf(c, 'SELECT * FROM other.t')).toBe('ok');
    expect(await codeOf(c, 'SELECT * FROM app_1.t')).toBe('ER_TABLEACCESS_DENIED_ERROR');
    users = await branchUsers(server(), 'app_1');
    expect(await codeOf(owner, 'SELECT * FROM app_1.t')).toBe('ok');
  });

  it('refuses a server database as the branch database', async () => {
    await expect(branchUsers(server(), 'mysql')).rejects.toThrow(/server's own/);
    await expect(branchUser(server(), 'information_schema', 'superuser')).rejects.toThrow(/server's own/);
  });

  it('a migration measured as the owner gives the same result fields', async () => {
    const migration = [
      'CREATE TABLE orders (id INT PRIMARY KEY, user_id INT)',
      'INSERT INTO orders SELECT seq, seq % 2 + 1 FROM seq_1_to_200',
      'ALTER TABLE orders ADD COLUMN note VARCHAR(20) NULL, ALGORITHM=INSTANT',
      'CREATE TABLE who AS SELECT CURRENT_USER() AS u',
    ].join(';\n');
    const config = { settings: users.superuser, name: 'as-owner', branch: 'b' };
    const asOwner = await measureMysqlMigration(config, `${migration};`, {
      runAs: { user: users.owner.user, password: users.owner.password },
    });
    expect(asOwner.status, asOwner.error ?? '').toBe('passed');
    const [who] = await tool.query('SELECT u FROM app_1.who');
    expect((who as Array<{ u: string }>)[0]?.u).toBe('versdb_owner@127.0.0.1');
    for (const t of ['orders', 'who']) await tool.query(`DROP TABLE app_1.${t}`);
    const asTool = await measureMysqlMigration({ ...config, name: 'as-tool' }, `${migration};`);
    expect(asTool.status).toBe('passed');
    StrategyResultSchema.parse(asOwner);
    expect(Object.keys(asOwner).sort()).toEqual(Object.keys(asTool).sort());
    expect(asOwner.statements.map((s) => s.error)).toEqual([null, null, null, null]);
    expect(asOwner.integrity.ok).toBe(true);
    expect(asOwner.blocking.writes.probes).toBeGreaterThan(0);
    expect(asOwner.metrics?.lock_samples).toBeGreaterThan(0);
    expect(asOwner.schema_changes).toEqual(asTool.schema_changes);
    // A statement outside the branch fails as the owner, with its position.
    const outside = await measureMysqlMigration({ ...config, name: 'outside' }, 'SELECT * FROM other.t;', {
      runAs: { user: users.owner.user, password: users.owner.password },
      probes: false,
    });
    expect(outside.status).toBe('failed');
    expect(outside.error).toMatch(/denied.*statement 1, line 1/);
  });

  it('a branch copied from a checkpoint gets passwords of its own (last: stops the server)', async () => {
    const root = server().layout.root;
    await stopServer(root);
    const branchRoot = `${root}-branch`;
    const { server: branch } = await branchServer(root, branchRoot);
    try {
      await expect(stat(join(branchRoot, SANDBOX_DIR))).rejects.toThrow();
      const mine = await branchUsers(branch, 'app_1');
      expect(mine.owner.password).not.toBe(users.owner.password);
      // The copied data directory held the checkpoint's users; their passwords no longer work here.
      const old = { ...users.owner, port: branch.settings.port };
      await expect(connectMysql(old)).rejects.toThrow(/Access denied/);
      const c = await connect(mine.owner);
      expect(await codeOf(c, 'SELECT COUNT(*) FROM t')).toBe('ok');
      expect(await codeOf(c, 'SELECT * FROM other.t')).toBe('ER_TABLEACCESS_DENIED_ERROR');
    } finally {
      await destroyServer(branchRoot);
    }
  });
});
