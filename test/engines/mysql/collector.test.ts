/**
 * The MySQL collector on a real MariaDB, checked against independent timings: while
 * measureMysqlMigration runs, an "application" of its own (a plain connection looping keyed
 * reads and writes, timed here) suffers the same migration; the measured waits must give the same
 * verdict — long (≥ 300 ms) or none (< 100 ms) — and long waits must agree within 20 % or 50 ms.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMysql, type MysqlConnection, type MysqlSettings } from '../../../src/engines/mysql/client.js';
import { measureMysqlMigration } from '../../../src/engines/mysql/collector/measure.js';
import { type StrategyResult, StrategyResultSchema } from '../../../src/result.js';
import { mariadbAvailable, noteSkipped, useMariadb } from '../../helpers/mariadb.js';

noteSkipped('MariaDB collector tests');

const ROWS = 300_000;
const now = () => performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Verdict = 'long' | 'none' | 'short';
const verdict = (ms: number): Verdict => (ms >= 300 ? 'long' : ms < 100 ? 'none' : 'short');

/** Measured vs independent, printed at the end as the report's table. */
const table: string[] = [];

/**
 * Agreement: the same long / none verdict; long waits within 20 % or 50 ms. A wait of 100-300 ms
 * is no verdict (a brief metadata-lock phase one statement caught and another did not, or a
 * statement stalled on a busy machine), so beside a "none" it is no disagreement; beside a "long"
 * it is one.
 */
function agree(what: string, measured: number, independent: number): void {
  const m = verdict(measured);
  const i = verdict(independent);
  table.push(`| ${what} | ${Math.round(measured)} ms | ${Math.round(independent)} ms | ${m} / ${i} |`);
  const message = `${what}: measured ${measured} ms, independent ${independent} ms`;
  if (m === 'long' || i === 'long') {
    expect(m, message).toBe(i);
    expect(Math.abs(measured - independent), message).toBeLessThan(Math.max(0.2 * independent, 50));
  }
}

describe.skipIf(!mariadbAvailable)('measureMysqlMigration on MariaDB', () => {
  const server = useMariadb('collector');
  const open: MysqlConnection[] = [];
  let settings: MysqlSettings & { database: string };

  const connect = async () => {
    const c = await connectMysql(server().settings);
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    settings = { ...server().settings, database: 'app' };
    const c = await connect();
    await c.query('CREATE DATABASE app');
    await c.query('CREATE TABLE app.big (id INT PRIMARY KEY, a INT, pad VARCHAR(200))');
    await c.query(`INSERT INTO app.big SELECT seq, seq % 100, REPEAT('p', 150) FROM app.seq_1_to_${ROWS}`);
    await c.query('CREATE TABLE app.other (id INT PRIMARY KEY, v VARCHAR(20))');
    await c.query("INSERT INTO app.other SELECT seq, 'x' FROM app.seq_1_to_100");
    await c.query('CREATE TABLE app.nokey (v INT)');
  }, 120_000);

  afterAll(() => {
    for (const c of open) c.destroy();
    console.error(
      [
        '| case | measured | independent | verdict (measured / independent) |',
        '|---|---|---|---|',
        ...table,
      ].join('\n'),
    );
  });

  /**
   * Measure `sql` while an independent application loops keyed reads and writes of app.big on
   * two plain connections; returns the result and the application's longest read and write.
   */
  async function measureWithApp(
    name: string,
    sql: string,
    during?: () => Promise<void>,
  ): Promise<{ r: StrategyResult; reads: number; writes: number }> {
    const reader = await connect();
    const writer = await connect();
    let done = false;
    const longest = { read: 0, write: 0 };
    const loop = async (kind: 'read' | 'write', c: MysqlConnection) => {
      for (let i = 0; !done; i++) {
        // Not the probes' keys (the table's first 20): the two must not wait on each other's row locks.
        const key = (i % 20) + 1001;
        const start = now();
        if (kind === 'read') await c.query('SELECT * FROM app.big WHERE id = ?', [key]);
        else await c.query('UPDATE app.big SET a = a WHERE id = ?', [key]);
        longest[kind] = Math.max(longest[kind], now() - start);
        await sleep(20);
      }
    };
    const app = Promise.all([loop('read', reader), loop('write', writer)]);
    await sleep(100);
    const measured = measureMysqlMigration({ settings, name, branch: 'b' }, sql);
    const side = during?.();
    try {
      const r = await measured;
      await side;
      return { r, ...{ reads: longest.read, writes: longest.write } };
    } finally {
      done = true;
      await app;
    }
  }

  it('ALGORITHM=COPY: writes are blocked for about the copy, behind the ALTER; reads are not', async () => {
    const { r, reads, writes } = await measureWithApp(
      'copy',
      'ALTER TABLE app.big MODIFY pad VARCHAR(250), ALGORITHM=COPY;',
    );
    expect(StrategyResultSchema.parse(r).engine).toBe('mysql');
    expect(r.status).toBe('passed');
    const alterMs = r.statements[0]!.duration_ms;
    table.push(`| COPY ALTER duration (statement timing) | — | ${Math.round(alterMs)} ms | |`);
    expect(alterMs).toBeGreaterThanOrEqual(500);
    agree('COPY: writes', r.blocking.writes.max_wait_ms, writes);
    agree('COPY: reads', r.blocking.reads.max_wait_ms, reads);
    // Writes were blocked for about the ALTER's duration.
    expect(Math.abs(r.blocking.writes.max_wait_ms - alterMs)).toBeLessThan(Math.max(0.2 * alterMs, 50));
    expect(r.blocking.writes.cause).toMatchObject({ kind: 'table_lock', relation: 'app.big', statement: 1 });
    expect(r.rewrites).toEqual(['app.big']);
    expect(r.schema_changes).toEqual(['~ column app.big.pad: type varchar(200) -> varchar(250)']);
    expect(r.locks.some((l) => l.relation === 'app.big' && l.mode === 'SHARED_NO_WRITE')).toBe(true);
    expect(r.integrity).toMatchObject({ ok: true, row_counts: { 'app.big': { before: ROWS, after: ROWS } } });
    expect(r.bloat.tables.find((t) => t.relation === 'app.big')?.dead_tuples).toBeNull();
    expect(r.blocking.tables['app.nokey']?.writes).toMatchObject({
      status: 'unmeasured',
      unmeasured_reason: expect.stringMatching(/no primary key/),
    });
    expect(r.blocking.tables['app.other']?.writes.status).toBe('measured');
    expect(r.wal_bytes).toBeGreaterThan(1_000_000); // a copy of the table goes through the redo log
  }, 120_000);

  it('ALGORITHM=INSTANT add column: nobody waits, nothing is rebuilt', async () => {
    const { r, reads, writes } = await measureWithApp(
      'instant',
      'ALTER TABLE app.big ADD COLUMN extra INT, ALGORITHM=INSTANT;',
    );
    expect(r.status).toBe('passed');
    expect(r.blocking.writes.status).toBe('measured');
    agree('INSTANT: writes', r.blocking.writes.max_wait_ms, writes);
    agree('INSTANT: reads', r.blocking.reads.max_wait_ms, reads);
    // None (< 100 ms) on a quiet machine; a probe stalled on a busy one is still no block.
    expect(r.blocking.writes.max_wait_ms).toBeLessThan(300);
    expect(r.rewrites).toEqual([]);
    expect(r.schema_changes).toEqual(['+ column app.big.extra int(11) NULL DEFAULT NULL']);
  }, 60_000);

  it('online CREATE INDEX (INPLACE, LOCK=NONE): writes are not blocked beyond brief metadata-lock phases', async () => {
    const { r, reads, writes } = await measureWithApp(
      'index',
      'CREATE INDEX big_a ON app.big (a, pad) ALGORITHM=INPLACE LOCK=NONE;',
    );
    expect(r.status).toBe('passed');
    table.push(
      `| CREATE INDEX duration (statement timing) | — | ${Math.round(r.statements[0]!.duration_ms)} ms | |`,
    );
    agree('CREATE INDEX LOCK=NONE: writes', r.blocking.writes.max_wait_ms, writes);
    agree('CREATE INDEX LOCK=NONE: reads', r.blocking.reads.max_wait_ms, reads);
    // Not blocked for the build (seconds): at most a brief metadata-lock phase.
    expect(r.blocking.writes.max_wait_ms).toBeLessThan(300);
    expect(r.rewrites).toEqual([]);
    expect(r.schema_changes).toEqual(['+ index app.big.big_a (a, pad)']);
  }, 120_000);

  it('a one-statement backfill held open ~1 s: writes to its rows wait for row locks; reads do not', async () => {
    const { r, reads, writes } = await measureWithApp(
      'backfill',
      'START TRANSACTION;\nUPDATE app.big SET a = a + 1 WHERE id <= 50000;\nDO SLEEP(1);\nCOMMIT;',
    );
    expect(r.status).toBe('passed');
    agree('backfill: writes', r.blocking.writes.max_wait_ms, writes);
    agree('backfill: reads', r.blocking.reads.max_wait_ms, reads);
    expect(r.blocking.writes.cause).toMatchObject({ kind: 'row_lock', relation: 'app.big' });
    expect([2, 3]).toContain(r.blocking.writes.cause?.statement);
  }, 60_000);

  it('the long-reader trap: an INSTANT ALTER waits for an open reader and everything queues behind it', async () => {
    const longReader = await connect();
    await longReader.query('START TRANSACTION');
    await longReader.query('SELECT COUNT(*) FROM app.other');
    await longReader.query('SELECT * FROM app.big WHERE id = 1');
    const watcher = await connect();
    let committedAfterWait = 0;
    const release = async () => {
      // Commit the reader 700 ms after the ALTER is seen waiting for its metadata lock.
      for (;;) {
        const [rows] = await watcher.query(
          "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE STATE = 'Waiting for table metadata lock' AND INFO LIKE 'ALTER TABLE%'",
        );
        if (Number((rows as Array<{ n: number }>)[0]?.n) > 0) break;
        await sleep(10);
      }
      const seen = now();
      await sleep(700);
      await longReader.query('COMMIT');
      committedAfterWait = now() - seen;
    };
    const { r, reads, writes } = await measureWithApp(
      'trap',
      'ALTER TABLE app.big ADD COLUMN trap INT, ALGORITHM=INSTANT;',
      release,
    );
    expect(r.status).toBe('passed');
    table.push(`| long reader held after the ALTER waited | — | ${Math.round(committedAfterWait)} ms | |`);
    agree('long-reader trap: reads', r.blocking.reads.max_wait_ms, reads);
    agree('long-reader trap: writes', r.blocking.writes.max_wait_ms, writes);
    expect(r.blocking.reads.cause).toMatchObject({ kind: 'lock_queue', relation: 'app.big', statement: 1 });
    expect(r.statements[0]!.duration_ms).toBeGreaterThanOrEqual(650);
  }, 60_000);

  it('a SQL error mid-migration is reported with its position, and the branch is left clean', async () => {
    const c = await connect();
    const [before] = await c.query('CHECKSUM TABLE app.big');
    const r = await measureMysqlMigration(
      { settings, name: 'broken', branch: 'b' },
      'START TRANSACTION;\nUPDATE app.big SET a = a + 7 WHERE id <= 10;\n  INSERT INTO app.nope VALUES (1);\nCOMMIT;\n',
      { probes: false },
    );
    expect(r.status).toBe('failed');
    expect(r.failed_statement).toBe(3);
    expect(r.error).toMatch(/app\.nope/);
    expect(r.error).toMatch(/line 3, column 3/);
    expect(r.statements.map((s) => s.error === null)).toEqual([true, true, false]);
    expect(r.integrity.ok).toBe(false);
    // The open transaction was rolled back: no row changed, no lock is left behind.
    const [after] = await c.query('CHECKSUM TABLE app.big');
    expect(after).toEqual(before);
    await c.query('SET SESSION lock_wait_timeout = 1, innodb_lock_wait_timeout = 1');
    await c.query('UPDATE app.big SET a = a WHERE id = 1');
    const [sessions] = await c.query(
      'SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND COMMAND <> ? AND USER <> ?',
      ['Daemon', 'system user'],
    );
    // Only this file's own idle connections remain: none is the migration's.
    expect(Number((sessions as Array<{ n: number }>)[0]?.n)).toBeLessThanOrEqual(open.length - 1);
  }, 60_000);

  it("a bounded migration lock wait ends a migration stuck behind a reader, reported as the statement's error", async () => {
    const reader = await connect();
    await reader.query('START TRANSACTION');
    await reader.query('SELECT * FROM app.other WHERE id = 1');
    try {
      const r = await measureMysqlMigration(
        { settings, name: 'stuck', branch: 'b' },
        'ALTER TABLE app.other ADD COLUMN w INT, ALGORITHM=INSTANT;',
        { probes: false, migrationLockWaitSeconds: 1 },
      );
      expect(r.status).toBe('failed');
      expect(r.failed_statement).toBe(1);
      expect(r.error).toMatch(/Lock wait timeout/i);
      expect(r.statements[0]!.duration_ms).toBeGreaterThanOrEqual(900);
    } finally {
      await reader.query('COMMIT');
    }
  }, 30_000);
});
