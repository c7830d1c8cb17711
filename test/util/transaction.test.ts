/** withTransaction on a real server: kept when `fn` returns, undone when it throws, read-only refuses writes. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClientConfig, withClient, withTransaction } from '../../src/util/pg.js';
import { SQLSTATE } from '../../src/util/sqlstate.js';
import { createTestDatabase, dropTestDatabase, uniqueName } from '../helpers/db.js';

const db = uniqueName('vdb_tx');
let config: ClientConfig;
const count = () =>
  withClient(config, async (c) => Number((await c.query('SELECT count(*) AS n FROM t')).rows[0].n));

describe('withTransaction', () => {
  beforeAll(async () => {
    config = await createTestDatabase(db, 'CREATE TABLE t (x int)');
  });
  afterAll(() => dropTestDatabase(db));

  it('commits what fn did when it returns, and returns its value', async () => {
    const r = await withClient(config, (c) =>
      withTransaction(c, {}, async () => {
        await c.query('INSERT INTO t VALUES (1), (2)');
        return 'done';
      }),
    );
    expect(r).toBe('done');
    expect(await count()).toBe(2);
  });

  it('rolls back and rethrows when fn throws; the session is usable afterwards', async () => {
    await withClient(config, async (c) => {
      await expect(
        withTransaction(c, {}, async () => {
          await c.query('INSERT INTO t VALUES (3)');
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect((await c.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    });
    expect(await count()).toBe(2);
  });

  it('read-only: reads work, a write fails with 25006 and nothing is kept', async () => {
    await withClient(config, async (c) => {
      const n = await withTransaction(c, { readOnly: true }, async () =>
        Number((await c.query('SELECT count(*) AS n FROM t')).rows[0].n),
      );
      expect(n).toBe(2);
      const err = await withTransaction(c, { readOnly: true }, () =>
        c.query('INSERT INTO t VALUES (4)'),
      ).catch((e: { code?: string }) => e);
      expect((err as { code?: string }).code).toBe(SQLSTATE.READ_ONLY_SQL_TRANSACTION);
    });
    expect(await count()).toBe(2);
  });
});
