/**
 * The application's workload on MySQL/MariaDB: the workload file read as MySQL SQL, run by
 * measureMysqlMigration before, during and after the migration, and its committed writes looked
 * up afterwards. The flagship case: a copy-and-swap that misses the rows written during the copy
 * is caught (missing > 0, found in users_old, integrity not ok); an online in-place ALTER keeps
 * every write.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMysql, type MysqlConnection } from '../../../src/engines/mysql/client.js';
import { measureMysqlMigration } from '../../../src/engines/mysql/collector/measure.js';
import { branchUsers } from '../../../src/engines/mysql/sandbox.js';
import { parseMysqlWorkload } from '../../../src/engines/mysql/workload/index.js';
import { bindParams } from '../../../src/engines/mysql/workload/statement.js';
import { StrategyResultSchema } from '../../../src/result.js';
import { parseWorkloadFile } from '../../../src/workload/file.js';
import { mariadbAvailable, noteSkipped, useMariadb } from '../../helpers/mariadb.js';

noteSkipped('MariaDB workload tests');

const ROWS = 100_000;

const SIGN_UPS = `-- @rate 150
-- @concurrency 2
-- @baseline 600
-- @after 400
-- @timeout 20000
-- @name sign-up
-- @commit
-- @param $1 fresh text user-{n}@example.com
INSERT INTO users (email) VALUES ($1) RETURNING id, email;
-- @name read-user
-- @param $1 key users
SELECT * FROM \`users\` WHERE id = $1;
-- @name touch
-- @param $1 key users
UPDATE users SET email = email WHERE id = $1;
`;

describe('the workload file in MySQL SQL', () => {
  it('reads commands, targets, RETURNING, row locks and $n the MySQL way', async () => {
    const spec = await parseMysqlWorkload(SIGN_UPS, 'app.sql');
    expect(spec.dialect).toBe('mysql');
    expect(spec.rate).toBe(150);
    const [insert, read, touch] = spec.statements;
    expect(insert).toMatchObject({
      name: 'sign-up',
      command: 'insert',
      kind: 'write',
      commit: true,
      returning: true,
      target: { schema: null, table: 'users' },
    });
    expect(read).toMatchObject({ command: 'select', kind: 'read', target: null });
    expect(touch).toMatchObject({ command: 'update', kind: 'write', commit: false });
    const more = await parseMysqlWorkload(
      [
        '-- @param $1 key app.users',
        'SELECT * FROM users WHERE id = $1 FOR UPDATE;',
        '-- @commit',
        "INSERT IGNORE INTO `app`.`my users` (note) VALUES ('what? $2 # not a comment') RETURNING id;",
      ].join('\n'),
      'more.sql',
    );
    expect(more.statements[0]).toMatchObject({ kind: 'write', command: 'select' });
    expect(more.statements[1]).toMatchObject({ target: { schema: 'app', table: 'my users' }, params: [] });
  });

  it('says what MariaDB cannot do, with the line', async () => {
    await expect(
      parseMysqlWorkload(
        '-- @param $1 key users\nUPDATE users SET v = 1 WHERE id = $1 RETURNING id;',
        'u.sql',
      ),
    ).rejects.toThrow(/u\.sql:2: MariaDB has no UPDATE … RETURNING/);
    await expect(parseMysqlWorkload('-- @commit\nUPDATE users SET v = 1;', 'c.sql')).rejects.toThrow(
      /c\.sql:2: a committing write must say RETURNING/,
    );
    await expect(parseMysqlWorkload('SELECT * FROM users WHERE id = ?;', 'q.sql')).rejects.toThrow(
      /\$1, \$2 … as parameters, not \?/,
    );
    await expect(
      parseMysqlWorkload('-- @param $2 value 1\nSELECT * FROM users WHERE id = $2;', 'g.sql'),
    ).rejects.toThrow(/without gaps; \$1 is missing/);
    await expect(parseMysqlWorkload('ALTER TABLE users ADD x INT;', 'a.sql')).rejects.toThrow(/not ALTER/);
  });

  it('binds values as hex string literals, leaving strings and comments alone', () => {
    expect(bindParams("SELECT '$1', `$1`, $1 /* $1 */, $2", ["it's", null])).toBe(
      `SELECT '$1', \`$1\`, _utf8mb4 X'${Buffer.from("it's").toString('hex')}' /* $1 */, NULL`,
    );
  });

  it('leaves PostgreSQL workload files as they were', async () => {
    const spec = await parseWorkloadFile(SIGN_UPS.replace('`users`', 'users'), 'pg.sql');
    expect(spec.dialect).toBe('postgres');
    expect(spec.statements.map((s) => s.command)).toEqual(['insert', 'select', 'update']);
  });
});

describe.skipIf(!mariadbAvailable)('the workload during a MySQL migration on MariaDB', () => {
  const server = useMariadb('workload');
  let tool: MysqlConnection;

  beforeAll(async () => {
    tool = await connectMysql(server().settings);
    for (const db of ['swap', 'inplace']) {
      await tool.query(`CREATE DATABASE ${db}`);
      await tool.query(
        `CREATE TABLE ${db}.users (id BIGINT AUTO_INCREMENT PRIMARY KEY, email VARCHAR(120) NOT NULL, pad VARCHAR(200))`,
      );
      await tool.query(
        `INSERT INTO ${db}.users (email, pad) SELECT CONCAT('seed-', seq, '@example.com'), REPEAT('p', 150) FROM ${db}.seq_1_to_${ROWS}`,
      );
    }
  }, 180_000);

  afterAll(() => tool?.destroy());

  it('catches a copy-and-swap that loses the writes made during the copy', async () => {
    // Sign-ups and reads (a rolled-back UPDATE would wait for the copy's shared row locks).
    const spec = await parseMysqlWorkload(SIGN_UPS.split('-- @name touch')[0]!, 'signups.sql');
    // Copy, a pause (checks, the index build of a real script: 1 s), swap: what is written to
    // users after the copy read it goes to users_old (as test/workload/run.test.ts on PostgreSQL).
    const migration = [
      'CREATE TABLE users_new LIKE users;',
      'INSERT INTO users_new SELECT * FROM users;',
      'DO SLEEP(1);',
      'RENAME TABLE users TO users_old, users_new TO users;',
    ].join('\n');
    const result = await measureMysqlMigration(
      { settings: { ...server().settings, database: 'swap' }, name: 'copy-swap', branch: 'b' },
      migration,
      { workload: spec },
    );
    StrategyResultSchema.parse(result);
    expect(result.status, result.error ?? '').toBe('passed');
    const w = result.workload!.writes;
    console.error(
      `copy-and-swap: ${JSON.stringify(w)}; migration ${result.duration_ms} ms; statements ${result.statements.map((x) => x.duration_ms).join(', ')} ms`,
    );
    // What the check says is what the tables hold: sign-ups in users_old and not in users.
    const [truth] = await tool.query(
      "SELECT (SELECT COUNT(*) FROM swap.users_old WHERE email LIKE 'user-%') AS old_n, (SELECT COUNT(*) FROM swap.users WHERE email LIKE 'user-%') AS new_n",
    );
    const { old_n, new_n } = (truth as Array<{ old_n: string; new_n: string }>)[0]!;
    expect(w.committed).toBe(Number(old_n));
    expect(w.missing).toBe(Number(old_n) - Number(new_n));
    expect(w.committed).toBeGreaterThan(0);
    expect(w.missing).toBeGreaterThan(0);
    expect(w.missing_during_migration).toBeGreaterThan(0);
    expect(w.found_in['swap.users_old']).toBe(w.missing);
    expect(result.integrity.ok).toBe(false);
    expect(result.integrity.problems?.join('\n')).toMatch(/writes the application committed are missing/);
    const [old] = await tool.query('SELECT COUNT(*) AS n FROM swap.users_old');
    expect(Number((old as Array<{ n: unknown }>)[0]?.n)).toBeGreaterThan(ROWS);
    const stats = result.workload!.statements.find((s) => s.name === 'sign-up')!;
    expect(stats.phases.baseline.ok).toBeGreaterThan(0);
    expect(stats.phases.migration.count).toBeGreaterThan(0);
    expect(result.workload!.dead_tuples).toEqual({});
  });

  it('keeps every committed write through an online in-place ALTER, run as the branch owner', async () => {
    const users = await branchUsers(server(), 'inplace');
    const spec = await parseMysqlWorkload(SIGN_UPS, 'signups.sql');
    const result = await measureMysqlMigration(
      { settings: users.superuser, name: 'inplace', branch: 'b' },
      // FORCE: rebuilt online (a plain ADD COLUMN would be instant on 10.11), writes logged and applied.
      'ALTER TABLE users ADD INDEX users_email (email), FORCE, ALGORITHM=INPLACE, LOCK=NONE;',
      { workload: spec, runAs: { user: users.owner.user, password: users.owner.password } },
    );
    StrategyResultSchema.parse(result);
    expect(result.status, result.error ?? '').toBe('passed');
    const w = result.workload!.writes;
    console.error(`in-place: ${JSON.stringify(w)}; migration ${result.duration_ms} ms`);
    expect(result.rewrites).toEqual(['inplace.users']);
    expect(w.committed_during_migration).toBeGreaterThan(0);
    expect(w).toMatchObject({ missing: 0, missing_during_migration: 0, unverifiable: 0, found_in: {} });
    expect(result.integrity.ok, result.integrity.problems?.join('\n')).toBe(true);
    const [n] = await tool.query("SELECT COUNT(*) AS n FROM inplace.users WHERE email LIKE 'user-%'");
    expect(Number((n as Array<{ n: unknown }>)[0]?.n)).toBe(w.committed);
    for (const s of result.workload!.statements) expect(s.phases.baseline.errors).toEqual({});
  });

  it('counts statements cut off by the workload timeout as timeouts (writes behind a table held for 1 s)', async () => {
    const spec = await parseMysqlWorkload(
      SIGN_UPS.split('-- @name read-user')[0]!.replace('-- @timeout 20000', '-- @timeout 300'),
      'signups.sql',
    );
    const result = await measureMysqlMigration(
      { settings: { ...server().settings, database: 'inplace' }, name: 'held', branch: 'b' },
      // Held for a fixed second (an ALGORITHM=COPY lasts as long as the machine's speed makes it).
      'LOCK TABLES users WRITE;\nDO SLEEP(1);\nUNLOCK TABLES;',
      { workload: spec, probes: false },
    );
    expect(result.status, result.error ?? '').toBe('passed');
    const phases = result.workload!.statements[0]!.phases;
    console.error(
      `timeouts behind a held table: ${JSON.stringify(phases.migration)}; ${result.duration_ms} ms`,
    );
    expect(result.duration_ms).toBeGreaterThan(600);
    expect(phases.migration.timeouts).toBeGreaterThan(0);
    expect(phases.migration.max_ms!).toBeLessThan(1500);
    expect(phases.baseline.timeouts).toBe(0);
    expect(result.workload!.writes.missing).toBe(0);
  });
});
