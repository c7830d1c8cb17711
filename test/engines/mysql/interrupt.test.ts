/**
 * Ending a MySQL migration from outside: a cancelled call ends the running statement on the
 * server (KILL QUERY) and the run throws CancelledError; a statement past
 * VERS_DB_STATEMENT_TIMEOUT — here an ALTER stuck behind a reader's metadata lock, which
 * max_statement_time would not end — fails with the reason, and no session is left running.
 */
import { describe, expect, it } from 'vitest';
import { type MysqlConnection, withMysql } from '../../../src/engines/mysql/client.js';
import { measureMysqlMigration } from '../../../src/engines/mysql/collector/measure.js';
import { CancelledError } from '../../../src/errors.js';
import { mariadbAvailable, noteSkipped, useMariadb } from '../../helpers/mariadb.js';

noteSkipped('MySQL interruption tests');

const running = async (c: MysqlConnection, text: string) => {
  const [rows] = await c.query(
    "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND ID <> CONNECTION_ID() AND COMMAND <> 'Sleep'",
    [`%${text}%`],
  );
  return Number((rows as Array<{ n: string }>)[0]?.n);
};

describe.skipIf(!mariadbAvailable)('interrupting a MySQL migration', () => {
  const server = useMariadb('interrupt');
  const settings = () => ({ ...server().settings, database: 'intr' });

  it('a cancelled call ends the running statement on the server and throws CancelledError', async () => {
    await withMysql(server().settings, (c) => c.query('CREATE DATABASE intr'));
    await withMysql(settings(), (c) => c.query('CREATE TABLE t (id INT PRIMARY KEY)'));
    const ac = new AbortController();
    const run = measureMysqlMigration({ settings: settings(), name: 'slow', branch: 'b' }, 'DO SLEEP(60);', {
      signal: ac.signal,
    });
    // Cancel once the statement runs on the server.
    await withMysql(server().settings, async (c) => {
      for (let i = 0; i < 200 && (await running(c, 'SLEEP(60)')) === 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(await running(c, 'SLEEP(60)')).toBe(1);
      ac.abort();
      await expect(run).rejects.toBeInstanceOf(CancelledError);
      expect(await running(c, 'SLEEP(60)')).toBe(0);
    });
  }, 60_000);

  it('an ALTER waiting on a metadata lock past the statement timeout fails with the reason', async () => {
    await withMysql(settings(), async (holder) => {
      // An open transaction that read t: the ALTER waits for its metadata lock.
      await holder.query('START TRANSACTION');
      await holder.query('SELECT * FROM t');
      const r = await measureMysqlMigration(
        { settings: settings(), name: 'stuck', branch: 'b' },
        'ALTER TABLE t ADD COLUMN v INT, ALGORITHM=INSTANT;',
        { statementTimeoutMs: 500, probes: false },
      );
      await holder.query('ROLLBACK');
      expect(r.status).toBe('failed');
      expect(r.error).toMatch(/longer than 500 ms \(VERS_DB_STATEMENT_TIMEOUT\)/);
      expect(r.error).toMatch(/interrupted/i);
      await withMysql(server().settings, async (c) => expect(await running(c, 'ADD COLUMN v')).toBe(0));
    });
  }, 60_000);
});
