/**
 * examples/mysql/ on a real MariaDB: every file splits as the `mysql` client does and runs; the
 * seed generator makes exactly the rows asked for; every strategy leaves users.premium_level
 * NOT NULL with no row lost (validate.sql, which fails before the migration); and the collector
 * sees ALGORITHM=COPY rebuild users where ALGORITHM=INSTANT does not.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  loadMysqlExample,
  MYSQL_STRATEGIES,
  mysqlExamplesDir,
  runMysqlFile,
  SET_EXPECTED_SQL,
} from '../../../src/cli/demo/mysql-example.js';
import { examplesDir } from '../../../src/cli/demo.js';
import { type MysqlConnection, withMysql } from '../../../src/engines/mysql/client.js';
import { measureMysqlMigration } from '../../../src/engines/mysql/collector/measure.js';
import { splitMysql } from '../../../src/engines/mysql/split.js';
import { mariadbAvailable, noteSkipped, useMariadb } from '../../helpers/mariadb.js';

noteSkipped('MySQL examples tests');

const dir = mysqlExamplesDir(examplesDir());
const ROWS = 2500;

async function sqlFiles(d: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(d, { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...(await sqlFiles(join(d, e.name))));
    else if (e.name.endsWith('.sql')) out.push(join(d, e.name));
  }
  return out.sort();
}

const count = async (c: MysqlConnection, table: string) => {
  const [rows] = await c.query(`SELECT COUNT(*) AS n FROM ${table}`);
  return Number((rows as Array<{ n: string }>)[0]?.n);
};

describe('examples/mysql files split', () => {
  it('every file splits into statements, the procedure and compound bodies whole', async () => {
    const files = await sqlFiles(dir);
    expect(files.length).toBeGreaterThanOrEqual(8);
    for (const f of files) {
      const statements = splitMysql(await readFile(f, 'utf8'), f);
      expect(statements.length, f).toBeGreaterThan(0);
    }
    const b = splitMysql(await readFile(join(dir, 'migrations/v2-strategy-b.sql'), 'utf8'));
    expect(b.map((s) => s.keyword)).toEqual(['ALTER', 'CREATE', 'CALL', 'DROP', 'ALTER', 'ALTER']);
    expect(b[1]!.sql).toMatch(/^CREATE PROCEDURE[\s\S]*END LOOP;\nEND$/);
    const v = splitMysql(await readFile(join(dir, 'validate.sql'), 'utf8'));
    expect(v.map((s) => s.keyword)).toEqual(['BEGIN', 'SELECT']);
  });
});

describe.skipIf(!mariadbAvailable)('examples/mysql on MariaDB', () => {
  const server = useMariadb('examples');
  let n = 0;
  /** A fresh database loaded with `rows` users; returns its name. */
  const load = async (rows: number) => {
    const database = `ex_${++n}`;
    await loadMysqlExample(server().settings, examplesDir(), database, rows);
    return database;
  };
  const inDb = <T>(database: string, fn: (c: MysqlConnection) => Promise<T>) =>
    withMysql({ ...server().settings, database }, fn);
  const validate = (c: MysqlConnection) => runMysqlFile(c, join(dir, 'validate.sql'));

  it('the seed generator makes exactly N users and 2N orders, across its 1000-row levels', async () => {
    for (const rows of [1, 1000, 1001, ROWS]) {
      const database = await load(rows);
      await inDb(database, async (c) => {
        expect(await count(c, 'users')).toBe(rows);
        expect(await count(c, 'orders')).toBe(2 * rows);
        const [dupes] = await c.query('SELECT COUNT(DISTINCT email) AS n FROM users');
        expect(Number((dupes as Array<{ n: string }>)[0]?.n)).toBe(rows);
        // The foreign key holds although the load skipped its checks.
        const [orphans] = await c.query(
          'SELECT COUNT(*) AS n FROM orders o LEFT JOIN users u ON u.id = o.customer_id WHERE u.id IS NULL',
        );
        expect(Number((orphans as Array<{ n: string }>)[0]?.n)).toBe(0);
      });
    }
  });

  it('validate.sql fails on v1 (no premium_level)', async () => {
    const database = await load(10);
    await inDb(database, async (c) => {
      await expect(validate(c)).rejects.toThrow(/premium_level is missing or nullable/);
    });
  });

  for (const s of MYSQL_STRATEGIES) {
    it(`${s.file} runs and passes validate.sql with no row lost`, async () => {
      const database = await load(ROWS);
      await inDb(database, async (c) => {
        await runMysqlFile(c, join(dir, s.file));
        await c.query(SET_EXPECTED_SQL, [ROWS, 2 * ROWS]);
        await validate(c);
        const [cols] = await c.query(
          "SELECT IS_NULLABLE AS nullable, COLUMN_DEFAULT AS def FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'users' AND COLUMN_NAME = 'premium_level'",
        );
        expect(cols).toEqual([{ nullable: 'NO', def: '0' }]);
        // A lost row fails the validation.
        await c.query(SET_EXPECTED_SQL, [ROWS + 1, 2 * ROWS]);
        await expect(validate(c)).rejects.toThrow(/users lost or gained rows/);
      });
    });
  }

  it('the collector sees ALGORITHM=COPY rebuild users and ALGORITHM=INSTANT not', async () => {
    const rebuilt: Record<string, string[]> = {};
    for (const name of ['algorithm-copy', 'algorithm-instant']) {
      const s = MYSQL_STRATEGIES.find((x) => x.name === name)!;
      const database = await load(ROWS);
      const r = await measureMysqlMigration(
        { settings: { ...server().settings, database }, name, branch: database },
        await readFile(join(dir, s.file), 'utf8'),
        { probes: false },
      );
      expect(r.status, r.error ?? '').toBe('passed');
      rebuilt[name] = r.rewrites;
    }
    expect(rebuilt['algorithm-copy']).toContain(`ex_${n - 1}.users`);
    expect(rebuilt['algorithm-instant']).toEqual([]);
  });
});
