/**
 * The logical fallback for a user's own MySQL server (DATABASE_URL at a server vers-db does not
 * run), on a real MariaDB: checkpoint and branch are database copies on that server (tables with
 * a foreign key and a generated column, a view, a trigger, a routine), a branch's writes leave the
 * checkpoint and the source alone, branch users reach only their database, a migration through
 * the core reports where its lock holders came from, destroy drops the database and its users,
 * and gc removes a leftover `vdb_` database and user nobody records.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../../src/backends/backend.js';
import { createCheckpoint } from '../../../src/core/checkpoint.js';
import { type Context, createContext } from '../../../src/core/context.js';
import { testStrategies } from '../../../src/core/test.js';
import { type MysqlSettings, urlFromSettings, withMysql } from '../../../src/engines/mysql/client.js';
import { settingsOf } from '../../../src/engines/mysql/local-connection.js';
import { instancePrefix } from '../../../src/state/names.js';
import { mariadbAvailable, noteSkipped, useMariadb } from '../../helpers/mariadb.js';

noteSkipped('the logical MySQL driver tests');

const SOURCE = 'shop';

async function query(s: MysqlSettings, sql: string, values?: unknown[]): Promise<Record<string, unknown>[]> {
  return withMysql(s, async (c) => (await c.query(sql, values))[0] as Record<string, unknown>[]);
}
const count = async (s: MysqlSettings, db: string, table: string) =>
  Number((await query(s, `SELECT COUNT(*) AS n FROM \`${db}\`.\`${table}\``))[0]!.n);
const databases = async (s: MysqlSettings) =>
  (await query(s, 'SELECT SCHEMA_NAME AS n FROM information_schema.SCHEMATA')).map((r) => String(r.n));

describe.skipIf(!mariadbAvailable)('logical MySQL driver (a user-owned server)', () => {
  const server = useMariadb('logical');
  let dir: string;
  let admin: MysqlSettings;
  let ctx: Context;
  let b: Backend;
  const logs: string[] = [];

  beforeAll(async () => {
    admin = server().settings;
    await withMysql(admin, async (c) => {
      await c.query(`CREATE DATABASE ${SOURCE}`);
      await c.query(`USE ${SOURCE}`);
      await c.query(
        'CREATE TABLE items (id INT PRIMARY KEY, label VARCHAR(40) NOT NULL, qty INT NOT NULL, twice INT AS (qty * 2) VIRTUAL)',
      );
      await c.query(
        'CREATE TABLE orders (id INT PRIMARY KEY, item INT NOT NULL, FOREIGN KEY (item) REFERENCES items (id))',
      );
      await c.query(
        "INSERT INTO items (id, label, qty) SELECT seq, CONCAT('item ', seq), seq % 7 FROM seq_1_to_5000",
      );
      await c.query('INSERT INTO orders SELECT seq, seq FROM seq_1_to_100');
      await c.query('CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, item INT)');
      await c.query(`CREATE VIEW big AS SELECT id, label FROM ${SOURCE}.items WHERE qty > 3`);
      await c.query(
        'CREATE TRIGGER items_audit AFTER INSERT ON items FOR EACH ROW INSERT INTO audit (item) VALUES (NEW.id)',
      );
      await c.query('CREATE FUNCTION doubled(x INT) RETURNS INT DETERMINISTIC RETURN x * 2');
    });
    dir = await mkdtemp(join(tmpdir(), 'vdb-my-logical-'));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      VERS_DB_HOME: join(dir, 'state'),
      DATABASE_URL: urlFromSettings({ ...admin, database: SOURCE }),
    };
    delete env.VERS_DB_ENGINE;
    ctx = createContext({ env, cwd: dir, backend: 'local', engine: 'mysql', log: (m) => logs.push(m) });
    b = await ctx.backend();
  }, 60_000);

  afterAll(async () => {
    await b?.gc().catch(() => undefined);
    await ctx?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  let ckptDb = '';

  it('checkpoints as a logical copy on the same server, cost recorded and stated', async () => {
    const report = await createCheckpoint(ctx, { tag: 'base' });
    expect(report).toMatchObject({ status: 'checkpoint_created', tag: 'base', engine: 'mysql' });
    const entry = (await ctx.registry.checkpoint('base'))!;
    expect(entry).toMatchObject({ state: 'ready', strategy: 'logical-copy', database: SOURCE });
    expect(entry.logicalCopy).toMatchObject({ tables: 3, rows: 5100 });
    expect(entry.logicalCopy!.bytes).toBeGreaterThan(0);
    expect(entry.durationMs).toBeGreaterThan(0);
    expect(entry.checksums?.[`${SOURCE}.items`]).toBeDefined();
    ckptDb = entry.id;
    expect(ckptDb).toBe(`${instancePrefix(await ctx.registry.instance())}c_base`);
    expect(logs.some((l) => /every row is read and written again/.test(l))).toBe(true);
    expect(await count(admin, ckptDb, 'items')).toBe(5000);
    expect(await count(admin, ckptDb, 'big')).toBe(await count(admin, SOURCE, 'big'));
    const [view] = await query(admin, `SHOW CREATE VIEW \`${ckptDb}\`.big`);
    expect(String(view!['Create View'])).not.toContain(`\`${SOURCE}\`.`);
    expect(await query(admin, 'SHOW TRIGGERS FROM ??', [ckptDb])).toHaveLength(1);
    expect(await query(admin, `SELECT \`${ckptDb}\`.doubled(4) AS d`)).toEqual([{ d: 8 }]);
    expect(await b.verifyCheckpoint?.('base')).toEqual([]);
  });

  it('branches: a write in the branch leaves the checkpoint and the source untouched; users see only their database', async () => {
    const [info] = await b.branch('base', ['b1']);
    expect(info).toMatchObject({ strategy: 'logical-copy' });
    const owner = settingsOf(await b.connect('b1', { as: 'owner' }));
    expect(owner.user).not.toBe(admin.user);
    expect(owner.database).toBe(info!.database);
    await query(owner, "INSERT INTO items (id, label, qty) VALUES (9001, 'new', 1)");
    await query(owner, 'DELETE FROM orders WHERE id <= 10');
    expect(await count(owner, info!.database, 'items')).toBe(5001);
    expect(await count(owner, info!.database, 'audit')).toBe(1); // the trigger was copied
    expect(await count(admin, ckptDb, 'items')).toBe(5000);
    expect(await count(admin, SOURCE, 'items')).toBe(5000);
    expect(await count(admin, SOURCE, 'orders')).toBe(100);
    await expect(count(owner, SOURCE, 'items')).rejects.toThrow(/denied/i);
    await expect(count(owner, ckptDb, 'items')).rejects.toThrow(/denied/i);
    const reader = settingsOf(await b.connect('b1', { as: 'reader' }));
    await expect(query(reader, 'DELETE FROM items')).rejects.toThrow(/denied/i);
    expect(await b.verifyCheckpoint?.('base')).toEqual([]);
  });

  it('tests a migration through the core: branch users, lock source named', async () => {
    const c = await testStrategies(ctx, {
      baseline: 'base',
      migrations: [{ name: 'note', migration: 'ALTER TABLE items ADD COLUMN note VARCHAR(20) NULL' }],
    });
    const r = c.results[0]!;
    expect(r).toMatchObject({ engine: 'mysql', status: 'passed', error: null });
    expect(r.sandbox?.role).toBe('branch-owner');
    expect(r.lock_source).toMatch(/^performance_schema|^metadata_lock_info/);
    expect(r.integrity.ok).toBe(true);
    // Relations are named as the application knows them, not by the branch's copy database.
    expect(Object.keys(r.integrity.row_counts)).toContain(`${SOURCE}.items`);
    expect(JSON.stringify(r)).not.toMatch(/vdb_[0-9a-f]+_b_/);
    expect((r.schema_changes ?? []).join('\n')).toMatch(new RegExp(`${SOURCE}\\.items\\.note`));
    expect(await b.verifyCheckpoint?.('base')).toEqual([]);
    const cols = await query(
      admin,
      'SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND COLUMN_NAME = ?',
      [SOURCE, 'note'],
    );
    expect(cols).toEqual([]);
  }, 120_000);

  it("without CREATE USER, migrations run as the URL's user and the result says so", async () => {
    await query(admin, "CREATE USER 'limited'@'%' IDENTIFIED BY 'limited-pw'");
    await query(admin, `GRANT ALL PRIVILEGES ON \`${SOURCE}\`.* TO 'limited'@'%'`);
    await query(admin, "GRANT ALL PRIVILEGES ON `vdb\\_%`.* TO 'limited'@'%'");
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      VERS_DB_HOME: join(dir, 'state-limited'),
      DATABASE_URL: urlFromSettings({ ...admin, user: 'limited', password: 'limited-pw', database: SOURCE }),
    };
    const lim = createContext({ env, cwd: dir, backend: 'local', engine: 'mysql', log: () => {} });
    try {
      // A routine another user defined: its text is hidden from this user, and the error says which.
      await expect(createCheckpoint(lim, { tag: 'lim' })).rejects.toThrow(
        /routine doubled: the server does not show its definition to this user/,
      );
      await query(admin, "GRANT SELECT ON mysql.proc TO 'limited'@'%'");
      await createCheckpoint(lim, { tag: 'lim' });
      const c = await testStrategies(lim, {
        baseline: 'lim',
        migrations: [{ name: 'idx', migration: 'CREATE INDEX by_qty ON items (qty)' }],
      });
      const r = c.results[0]!;
      // Without PROCESS nor performance_schema rights, holders come from the plugin alone.
      expect(r.integrity.ok).toBe(true);
      expect(r).toMatchObject({ status: 'passed', sandbox: { role: 'server-user' } });
      expect(r.lock_source).toEqual(expect.any(String));
      await (await lim.backend()).deleteCheckpoint('lim');
    } finally {
      await lim.close();
    }
  }, 120_000);

  it('destroy drops the branch database and its users', async () => {
    const entry = (await ctx.registry.read()).branches.b1!;
    await b.destroy('b1');
    expect(await databases(admin)).not.toContain(entry.database);
    const users = await query(admin, 'SELECT User FROM mysql.user WHERE User IN (?, ?)', [
      entry.sandbox!.owner,
      entry.sandbox!.reader,
    ]);
    expect(users).toEqual([]);
  });

  it('gc removes a vdb_ database and user of a dead process, and nothing else', async () => {
    const prefix = instancePrefix(await ctx.registry.instance());
    const leftover = `${prefix}b_crashed`;
    const user = `${prefix}o_0123456789ab`;
    await query(admin, `CREATE DATABASE \`${leftover}\``);
    await query(admin, `CREATE USER '${user}'@'%' IDENTIFIED BY 'x'`);
    await query(admin, 'CREATE DATABASE vdb_ffffff_b_other_project');
    const report = await b.gc();
    expect(report.removed).toEqual(
      expect.arrayContaining([`unregistered MySQL database ${leftover}`, `unregistered MySQL user ${user}`]),
    );
    const now = await databases(admin);
    expect(now).not.toContain(leftover);
    expect(now).toContain(ckptDb);
    expect(now).toContain(SOURCE);
    expect(now).toContain('vdb_ffffff_b_other_project');
  });
});
