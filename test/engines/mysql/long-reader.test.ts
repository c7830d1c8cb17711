/**
 * measureMysqlMigration's own long reader (`longReaderMs`): an open transaction that read every
 * table makes even an INSTANT ALTER wait for its metadata lock until it commits, the application's
 * probes queue behind the ALTER, and the cause says so. Without it the same ALTER does not wait.
 */
import { describe, expect, it } from 'vitest';
import { withMysql } from '../../../src/engines/mysql/client.js';
import { measureMysqlMigration } from '../../../src/engines/mysql/collector/measure.js';
import { mariadbAvailable, noteSkipped, useMariadb } from '../../helpers/mariadb.js';

noteSkipped('MySQL long-reader tests');

const HOLD_MS = 1500;
const INSTANT = 'ALTER TABLE t ADD COLUMN premium_level INT NOT NULL DEFAULT 0, ALGORITHM = INSTANT;';

describe.skipIf(!mariadbAvailable)('the MySQL long reader', () => {
  const server = useMariadb('long-reader');
  const settings = () => ({ ...server().settings, database: 'lr' });

  it('an INSTANT ALTER waits for the reader, the probes queue behind it, and nothing is left open', async () => {
    await withMysql(server().settings, async (c) => {
      await c.query('CREATE DATABASE lr');
      await c.query('CREATE TABLE lr.t (id INT PRIMARY KEY, v INT)');
      await c.query('INSERT INTO lr.t SELECT seq, seq FROM lr.seq_1_to_1000');
    });
    const r = await measureMysqlMigration({ settings: settings(), name: 'instant', branch: 'b' }, INSTANT, {
      longReaderMs: HOLD_MS,
    });
    expect(r.status, r.error ?? '').toBe('passed');
    // It cannot end before the reader commits.
    expect(r.statements[0]!.duration_ms).toBeGreaterThan(HOLD_MS * 0.6);
    expect(r.blocking.writes.max_wait_ms).toBeGreaterThan(HOLD_MS * 0.3);
    expect(r.blocking.reads.max_wait_ms).toBeGreaterThan(HOLD_MS * 0.3);
    expect(r.blocking.writes.cause?.kind).toBe('lock_queue');
    await withMysql(server().settings, async (c) => {
      const [rows] = await c.query(
        "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = 'lr' AND ID <> CONNECTION_ID()",
      );
      expect(Number((rows as Array<{ n: string }>)[0]?.n)).toBe(0);
    });

    const again = await measureMysqlMigration(
      { settings: settings(), name: 'instant-2', branch: 'b' },
      'ALTER TABLE t ADD COLUMN other_level INT NOT NULL DEFAULT 0, ALGORITHM = INSTANT;',
    );
    expect(again.statements[0]!.duration_ms).toBeLessThan(HOLD_MS * 0.6);
  });
});
