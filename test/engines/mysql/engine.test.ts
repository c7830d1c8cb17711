/** The MySQL engine's description: how it is chosen, and its admin SQL run on a real MariaDB. */
import type { RowDataPacket } from 'mysql2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineByName, engineForUrl } from '../../../src/engines/index.js';
import {
  connectMysql,
  type MysqlConnection,
  settingsFromUrl,
  urlFromSettings,
} from '../../../src/engines/mysql/client.js';
import { mysqlEngine } from '../../../src/engines/mysql/engine.js';
import { InvalidInputError } from '../../../src/errors.js';
import { mariadbAvailable, noteSkipped, useMariadb } from '../../helpers/mariadb.js';

describe('choosing an engine', () => {
  it.each([
    ['mysql://u:p@db:3306/app', 'mysql'],
    ['MariaDB://u:p@db/app', 'mysql'],
    ['postgres://u:p@db/app', 'postgres'],
    ['postgresql://db/app', 'postgres'],
    ['oracle://db/app', null],
    ['not a url', null],
  ])('%s → %s', (url, name) => {
    expect(engineForUrl(url)?.name ?? null).toBe(name);
  });

  it('by name, with a clear error for an unknown one', () => {
    expect(engineByName(' MySQL ')).toBe(mysqlEngine);
    expect(() => engineByName('oracle')).toThrow(InvalidInputError);
    expect(() => engineByName('oracle')).toThrow(/unknown engine "oracle"/);
  });

  it('splits, quotes and keys relations the MySQL way', async () => {
    const statements = await mysqlEngine.split('DELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; END//\n');
    expect(statements).toMatchObject([
      { index: 1, line: 2, sql: 'CREATE PROCEDURE p() BEGIN SELECT 1; END' },
    ]);
    expect(mysqlEngine.quoteIdent('we`ird')).toBe('`we``ird`');
    expect(mysqlEngine.relationKey('app', 'users')).toBe('app.users');
    expect(mysqlEngine.admin.killConnection(42)).toBe('KILL CONNECTION 42');
    expect(() => mysqlEngine.admin.killConnection(Number.NaN)).toThrow(RangeError);
  });

  it('reads and writes mysql:// URLs (user, password and database percent-encoded)', () => {
    const s = settingsFromUrl('mysql://a%40b:p%2Fw@127.0.0.1:3307/my%20db');
    expect(s).toEqual({ host: '127.0.0.1', port: 3307, user: 'a@b', password: 'p/w', database: 'my db' });
    expect(settingsFromUrl(urlFromSettings(s))).toEqual(s);
  });
});

noteSkipped('MariaDB admin SQL tests');

describe.skipIf(!mariadbAvailable)('admin SQL on MariaDB', () => {
  const server = useMariadb('engine');
  let c: MysqlConnection;
  const admin = mysqlEngine.admin;
  const weird = 'we`ird db';

  const one = async (sql: string, values?: unknown[]) => {
    const [rows] = await c.query<RowDataPacket[]>(sql, values);
    return rows;
  };

  beforeAll(async () => {
    c = await connectMysql(server().settings);
  });
  afterAll(() => c?.destroy());

  it('creates, measures, lists sessions of, and drops a database with an awkward name', async () => {
    expect(Number((await one(admin.databaseExists, [weird]))[0]?.n)).toBe(0);
    await c.query(admin.createDatabase(weird));
    expect(Number((await one(admin.databaseExists, [weird]))[0]?.n)).toBe(1);
    await c.query(`CREATE TABLE ${mysqlEngine.quoteIdent(weird)}.t (id INT PRIMARY KEY, v TEXT)`);
    expect(Number((await one(admin.databaseSize, [weird]))[0]?.bytes)).toBeGreaterThan(0);

    const user = await connectMysql({ ...server().settings, database: weird });
    const sessions = await one(admin.databaseSessions, [weird]);
    expect(sessions.map((s) => Number(s.id))).toEqual([user.threadId]);
    await c.query(admin.killConnection(user.threadId));
    await expect(user.query('SELECT 1')).rejects.toThrow();
    user.destroy();

    await c.query(admin.dropDatabase(weird));
    await c.query(admin.dropDatabase(weird)); // IF EXISTS
    expect(Number((await one(admin.databaseExists, [weird]))[0]?.n)).toBe(0);
  });

  it('bounds lock waits of a session', async () => {
    await c.query(admin.sessionTimeouts, [3, 2]);
    const [row] = await one(
      'SELECT @@SESSION.lock_wait_timeout AS mdl, @@SESSION.innodb_lock_wait_timeout AS row_wait',
    );
    expect([Number(row?.mdl), Number(row?.row_wait)]).toEqual([3, 2]);
  });
});
