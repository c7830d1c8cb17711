/**
 * Issue 10: `compare` fetched every row before applying max_rows (2 GB RSS). It now fetches at
 * most max_rows + 1 rows, under a byte cap.
 */
import { describe, expect, it } from 'vitest';
import { boundedQuery } from '../../src/core/bounded-query.js';
import { withClient } from '../../src/util/pg.js';
import { adminConfig } from '../helpers/db.js';

describe('boundedQuery', () => {
  it('stops the server after max_rows + 1 rows of a 5 GB result', async () => {
    await withClient(adminConfig(), async (c) => {
      await c.query('BEGIN READ ONLY');
      await c.query('SET LOCAL statement_timeout = 20000');
      const before = process.memoryUsage().rss;
      const r = await boundedQuery(
        c,
        "SELECT g, repeat('x', 1000) AS pad FROM generate_series(1, 5000000) g",
        5,
        1024 * 1024,
      );
      await c.query('ROLLBACK');
      expect(r.columns).toEqual(['g', 'pad']);
      expect(r.rows.map((row) => row.g)).toEqual([1, 2, 3, 4, 5]);
      expect(r.truncated).toBe(true);
      expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
      // The session is usable afterwards.
      expect((await c.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    });
  });

  it('says not truncated when every row fit, and truncates at the byte cap', async () => {
    await withClient(adminConfig(), async (c) => {
      const all = await boundedQuery(c, 'SELECT g FROM generate_series(1, 3) g', 3, 1024);
      expect(all).toEqual({ columns: ['g'], rows: [{ g: 1 }, { g: 2 }, { g: 3 }], truncated: false });
      const capped = await boundedQuery(
        c,
        "SELECT repeat('x', 1000000) AS big FROM generate_series(1, 10)",
        100,
        3_500_000,
      );
      expect(capped.rows).toHaveLength(3);
      expect(capped.truncated).toBe(true);
    });
  });

  it('reports a query error as an error', async () => {
    await withClient(adminConfig(), async (c) => {
      await expect(boundedQuery(c, 'SELECT * FROM no_such_table', 10, 1024)).rejects.toThrow(
        'relation "no_such_table" does not exist',
      );
      expect((await c.query('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
    });
  });
});
