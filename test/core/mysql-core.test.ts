/**
 * The core's MySQL pieces on a real MariaDB, without a backend: a checkpoint's facts (exact
 * counts, CHECKSUM TABLE, sizes, schema kept as JSON and diffed), the comparison query (one read
 * only, bounded rows, a time limit, writes refused before they are sent), the advisory
 * outside-the-branch warnings, and MySQL SQL accepted as a migration.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { longestBlockingLock } from '../../src/analysis/locks.js';
import { checksumProblems } from '../../src/backends/local-verify.js';
import { resolveMigration } from '../../src/core/migration-input.js';
import { mysqlOutsideBranchWarnings } from '../../src/core/mysql-outside-branch.js';
import { checkMysqlQuery, readOnlyMysqlQuery } from '../../src/core/mysql-query.js';
import {
  mysqlCheckpointFacts,
  mysqlSchemaDiff,
  mysqlSealFacts,
  schemaFromJson,
  schemaToJson,
} from '../../src/core/mysql-snapshot.js';
import { connectMysql, type MysqlConnection } from '../../src/engines/mysql/client.js';
import { InvalidInputError } from '../../src/errors.js';
import { mariadbAvailable, noteSkipped, useMariadb } from '../helpers/mariadb.js';

describe('MySQL pieces without a server', () => {
  it('refuses comparison queries that are not one read', () => {
    expect(() => checkMysqlQuery('SELECT 1')).not.toThrow();
    expect(() => checkMysqlQuery('with x as (select 1) select * from x')).not.toThrow();
    for (const q of [
      'SELECT 1; SELECT 2',
      'DELETE FROM t',
      'CREATE TABLE x (a int)',
      "SELECT * FROM t INTO OUTFILE '/tmp/x'",
      'SELECT * FROM t FOR UPDATE',
    ]) {
      expect(() => checkMysqlQuery(q), q).toThrow(InvalidInputError);
    }
  });

  it('warns of statements that reach outside the branch, not of ordinary ones', () => {
    const sql = [
      'ALTER TABLE t ADD COLUMN c INT, ALGORITHM=INSTANT;',
      'UPDATE t u SET u.c = 1 WHERE u.id IN (SELECT x.id FROM app.t x);',
      "GRANT ALL ON *.* TO 'x'@'%';",
      'SET GLOBAL max_connections = 5;',
      'INSERT INTO other_db.t SELECT * FROM t;',
      "SELECT * FROM t INTO OUTFILE '/tmp/x';",
    ].join('\n');
    expect(mysqlOutsideBranchWarnings(sql, 'app')).toEqual([
      'statement 3 (line 3) changes privileges',
      'statement 4 (line 4) changes a server setting',
      'statement 5 (line 5) names another database (other_db)',
      'statement 6 (line 6) reads or writes server files',
    ]);
  });

  it('accepts MySQL SQL as a migration on a MySQL checkpoint (the PostgreSQL parser would not)', async () => {
    const sql = 'ALTER TABLE t MODIFY v VARCHAR(40), ALGORITHM=COPY, LOCK=SHARED';
    await expect(resolveMigration({ migration: sql }, '/tmp', 0)).rejects.toThrow(InvalidInputError);
    const m = await resolveMigration({ migration: sql }, '/tmp', 0, 'mysql');
    expect(m.source).toEqual({ kind: 'sql', sql });
    await expect(resolveMigration({ migration: '  ;  ' }, '/tmp', 0, 'mysql')).rejects.toThrow(
      InvalidInputError,
    );
  });

  it('names the metadata lock that blocked writes', () => {
    const held = (mode: string, ms: number) => ({
      relation: 'app.t',
      mode,
      start_ms: 0,
      held_ms: ms,
      statement: 1,
    });
    const locks = [held('SHARED_UPGRADABLE', 900), held('SHARED_NO_WRITE', 880), held('EXCLUSIVE', 5)];
    expect(longestBlockingLock(locks, 'writes', ['app.t'])?.mode).toBe('SHARED_NO_WRITE');
    expect(longestBlockingLock(locks, 'reads', ['app.t'])?.mode).toBe('EXCLUSIVE');
  });
});

noteSkipped('MySQL core tests');

describe.skipIf(!mariadbAvailable)('MySQL core pieces on MariaDB', () => {
  const server = useMariadb('core');
  let c: MysqlConnection;
  const settings = () => ({ ...server().settings, database: 'app' });

  beforeAll(async () => {
    c = await connectMysql(server().settings);
    await c.query('CREATE DATABASE app');
    await c.query('CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(20), KEY v (v)) ENGINE=InnoDB');
    await c.query('CREATE TABLE app.e (id INT PRIMARY KEY) ENGINE=InnoDB');
    await c.query("INSERT INTO app.t SELECT seq, CONCAT('v', seq) FROM app.seq_1_to_1000");
  });
  afterAll(() => c?.destroy());

  it('records exact counts, checksums, sizes and the schema; a change shows in the checksums', async () => {
    const facts = await mysqlCheckpointFacts(settings(), 'app', { checksums: true });
    expect(facts.rowCounts).toEqual({ 'app.e': 0, 'app.t': 1000 });
    expect(Object.keys(facts.checksums ?? {}).sort()).toEqual(['app.e', 'app.t']);
    expect(facts.sizes['app.t']).toBeGreaterThan(0);
    expect(facts.schema.columns['app.t.v']).toMatchObject({ type: 'varchar(20)', nullable: 'YES' });
    // Stored as JSON and read back, it diffs as the collector's schema does.
    const json = JSON.parse(JSON.stringify(facts.schema));
    expect(schemaToJson(schemaFromJson(json))).toEqual(facts.schema);
    expect(await mysqlSchemaDiff(c, 'app', json)).toEqual([]);

    const sealed = await mysqlSealFacts(server().settings, 'app');
    expect(sealed.checksums).toEqual(facts.checksums);
    await c.query("UPDATE app.t SET v = 'changed' WHERE id = 7");
    const now = await mysqlSealFacts(server().settings, 'app');
    expect(now.rowCounts).toEqual(facts.rowCounts);
    expect(checksumProblems('ck', sealed.checksums, now.checksums)).toEqual([
      'checkpoint ck: the data of app.t changed',
    ]);
    await c.query('ALTER TABLE app.t ADD COLUMN w INT, ALGORITHM=INSTANT');
    expect(await mysqlSchemaDiff(c, 'app', json)).toEqual(['+ column app.t.w int(11) NULL DEFAULT NULL']);
    await c.query('ALTER TABLE app.t DROP COLUMN w');
  });

  it('runs a comparison query read-only and bounded', async () => {
    const r = await readOnlyMysqlQuery(settings(), 'SELECT id, v FROM t ORDER BY id', 5_000, 3, 1 << 20);
    expect(r).toMatchObject({ columns: ['id', 'v'], row_count: 3, truncated: true, error: null });
    expect(r.rows[0]).toEqual({ id: 1, v: 'v1' });
    const all = await readOnlyMysqlQuery(settings(), 'SELECT COUNT(*) AS n FROM t', 5_000, 10, 1 << 20);
    expect(all).toMatchObject({ rows: [{ n: '1000' }], truncated: false, error: null });
    // A write that slipped past the check fails in the READ ONLY transaction.
    const w = await readOnlyMysqlQuery(settings(), "UPDATE t SET v = 'x' WHERE id = 1", 5_000, 10, 1 << 20);
    expect(w.error).toMatch(/READ ONLY|read-only|1792/i);
    const [rows] = await c.query('SELECT v FROM app.t WHERE id = 1');
    expect(rows).toEqual([{ v: 'v1' }]);
    // The time limit ends a query that runs too long.
    const started = Date.now();
    const slow = await readOnlyMysqlQuery(settings(), 'SELECT SLEEP(5) AS s', 300, 10, 1 << 20);
    expect(slow.error ?? JSON.stringify(slow.rows)).toMatch(/max_statement_time|interrupted|1969|"s":"?1/i);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
