/**
 * Before/after facts on a real MariaDB: a rebuild is seen from the table's InnoDB identity
 * (COPY and FORCE rebuild, INSTANT does not), checksums follow the rows, redo grows with writes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMysql, type MysqlConnection } from '../../../src/engines/mysql/client.js';
import {
  decodeInnodbName,
  exactRowCount,
  rebuilt,
  redoLsn,
  type TableIdentity,
  tableChecksum,
  tableSnapshots,
} from '../../../src/engines/mysql/snapshot.js';
import { mariadbAvailable, noteSkipped, useMariadb } from '../../helpers/mariadb.js';

it('decodes InnoDB file names', () => {
  expect(decodeInnodbName('a@0020b')).toBe('a b');
  expect(decodeInnodbName('plain_name1')).toBe('plain_name1');
  expect(decodeInnodbName('@0G')).toBeNull();
});

noteSkipped('MariaDB snapshot tests');

describe.skipIf(!mariadbAvailable)('snapshots on MariaDB', () => {
  const server = useMariadb('snap');
  let c: MysqlConnection;

  beforeAll(async () => {
    c = await connectMysql(server().settings);
    await c.query('CREATE DATABASE app');
    await c.query('CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB');
    await c.query('CREATE TABLE app.`odd name` (id INT PRIMARY KEY) ENGINE=InnoDB');
    await c.query("INSERT INTO app.t SELECT seq, CONCAT('v', seq) FROM app.seq_1_to_500");
  });

  afterAll(() => c?.destroy());

  const identity = async (table: string): Promise<TableIdentity | null> =>
    (await tableSnapshots(c, 'app')).find((t) => t.relation === `app.${table}`)?.identity ?? null;

  it('lists tables with sizes and an identity, odd names included', async () => {
    const tables = await tableSnapshots(c, 'app');
    expect(tables.map((t) => t.relation)).toEqual(['app.odd name', 'app.t']);
    for (const t of tables) {
      expect(t.identity).not.toBeNull();
      expect(t.dataBytes).toBeGreaterThan(0);
    }
  });

  it('sees rebuilds by identity: INSTANT keeps it, COPY and FORCE change it', async () => {
    const before = await identity('t');
    await c.query('ALTER TABLE app.t ADD COLUMN w INT, ALGORITHM=INSTANT');
    const instant = await identity('t');
    expect(rebuilt(before, instant)).toBe(false);
    await c.query('ALTER TABLE app.t MODIFY v VARCHAR(40), ALGORITHM=COPY');
    const copied = await identity('t');
    expect(rebuilt(instant, copied)).toBe(true);
    await c.query('ALTER TABLE app.t FORCE, ALGORITHM=INPLACE');
    expect(rebuilt(copied, await identity('t'))).toBe(true);
    expect(rebuilt(null, copied)).toBeNull();
  });

  it('counts rows exactly and checksums follow the data', async () => {
    expect(await exactRowCount(c, 'app', 't')).toBe(500);
    const a = await tableChecksum(c, 'app', 't');
    expect(await tableChecksum(c, 'app', 't')).toBe(a);
    await c.query("UPDATE app.t SET v = 'changed' WHERE id = 7");
    expect(await tableChecksum(c, 'app', 't')).not.toBe(a);
    expect(await tableChecksum(c, 'app', 'missing')).toBeNull();
  });

  it('reads the redo position, which grows with writes', async () => {
    const before = await redoLsn(c);
    await c.query("UPDATE app.t SET v = CONCAT(v, 'x')");
    const after = await redoLsn(c);
    expect(before).not.toBeNull();
    expect(after! - before!).toBeGreaterThan(500n);
  });
});
