/**
 * The lock sampler's SQL and its reading, on a real MariaDB: a metadata-lock wait behind a long
 * reader (with the queue it causes), and a row-lock wait behind a one-statement UPDATE.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMysql, type MysqlConnection } from '../../../src/engines/mysql/client.js';
import {
  detectLockSources,
  INNODB_LOCK_WAITS_MIN_GAP_MS,
  type LockSample,
  type LockSources,
  readLockSample,
} from '../../../src/engines/mysql/lock-sources.js';
import {
  interpretMdl,
  mdlBlocks,
  mdlConflicts,
  mdlQueuesBehind,
  parseQuotedTable,
} from '../../../src/engines/mysql/locks.js';
import { MysqlLockSampler, runSpanMs } from '../../../src/engines/mysql/sampler.js';
import { mariadbAvailable, noteSkipped, useMariadb } from '../../helpers/mariadb.js';

noteSkipped('MariaDB lock tests');

describe('metadata-lock compatibility (mdl.cc matrices)', () => {
  it.each([
    ['SHARED_READ', 'EXCLUSIVE', true],
    ['SHARED_READ', 'SHARED_UPGRADABLE', false],
    ['SHARED_WRITE', 'SHARED_NO_WRITE', true],
    ['SHARED_READ', 'SHARED_NO_WRITE', false],
    ['EXCLUSIVE', 'SHARED_READ', true],
    ['SHARED_UPGRADABLE', 'SHARED_UPGRADABLE', true],
    ['MDL_SHARED_WRITE', 'MDL_SHARED_READ', false],
    ['SOMETHING_ELSE', 'EXCLUSIVE', false],
  ] as const)('%s requested beside granted %s: conflict %s', (req, granted, expected) => {
    expect(mdlConflicts(req, granted)).toBe(expected);
  });

  it('a pending EXCLUSIVE queues new reads and writes; SHARED_HIGH_PRIO jumps the queue', () => {
    expect(mdlQueuesBehind('SHARED_READ', 'EXCLUSIVE')).toBe(true);
    expect(mdlQueuesBehind('SHARED_WRITE', 'EXCLUSIVE')).toBe(true);
    expect(mdlQueuesBehind('SHARED_HIGH_PRIO', 'EXCLUSIVE')).toBe(false);
    expect(mdlQueuesBehind('SHARED_READ', 'SHARED_UPGRADABLE')).toBe(false);
  });

  it('says what a held type blocks', () => {
    expect(mdlBlocks('SHARED_NO_WRITE')).toEqual({ reads: false, writes: true });
    expect(mdlBlocks('EXCLUSIVE')).toEqual({ reads: true, writes: true });
    expect(mdlBlocks('SHARED_UPGRADABLE')).toEqual({ reads: false, writes: false });
  });

  it('infers the holder of an upgraded lock that performance_schema still shows as SHARED_UPGRADABLE', () => {
    const row = (id: number, type: string, status: string) => ({
      connection_id: id,
      object_schema: 'app',
      object_name: 't',
      lock_type: type,
      lock_duration: 'TRANSACTION',
      lock_status: status,
    });
    const seen = interpretMdl([row(7, 'SHARED_UPGRADABLE', 'GRANTED'), row(9, 'SHARED_WRITE', 'PENDING')]);
    expect(seen.waits).toEqual([
      {
        waiter: 9,
        relation: 'app.t',
        mode: 'SHARED_WRITE',
        holders: [7],
        queuedBehind: [],
        holdersInferred: true,
      },
    ]);
    const plain = interpretMdl([row(7, 'SHARED_NO_WRITE', 'GRANTED'), row(9, 'SHARED_WRITE', 'PENDING')]);
    expect(plain.waits[0]).toMatchObject({ holders: [7], holdersInferred: false });
  });

  it('reads InnoDB table names', () => {
    expect(parseQuotedTable('`app`.`t`')).toBe('app.t');
    expect(parseQuotedTable('`a``b`.`c.d`')).toBe('a`b.c.d');
  });
});

describe.skipIf(!mariadbAvailable)('lock sampling on MariaDB', () => {
  const server = useMariadb('locks');
  let sampler: MysqlConnection;
  let sources: LockSources;
  const open: MysqlConnection[] = [];

  const connect = async () => {
    const c = await connectMysql({ ...server().settings, database: 'app' });
    open.push(c);
    return c;
  };

  /** Sample every 10 ms until `found` says yes (or 10 s). */
  async function sampleUntil(
    watched: number[],
    found: (s: LockSample) => boolean,
    pauseMs = 10,
  ): Promise<LockSample> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const s = await readLockSample(sampler, sources, watched);
      if (found(s) || Date.now() > deadline) return s;
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  }

  beforeAll(async () => {
    const admin = await connectMysql(server().settings);
    await admin.query('CREATE DATABASE app');
    await admin.query('CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(20))');
    await admin.query("INSERT INTO app.t VALUES (1, 'a'), (2, 'b'), (3, 'c')");
    await admin.end();
    sampler = await connect();
    sources = await detectLockSources(sampler);
  });

  afterAll(async () => {
    for (const c of open) c.destroy();
  });

  it('finds performance_schema metadata locks and INNODB_LOCK_WAITS on MariaDB 10.11', () => {
    expect(sources).toEqual({
      metadataLocks: 'performance_schema+metadata_lock_info',
      rowLocks: 'information_schema.INNODB_LOCK_WAITS',
      processlist: 'mariadb',
    });
  });

  it('sees an ALTER … ALGORITHM=COPY wait for the metadata lock of an open reader, and a read queued behind it', async () => {
    const reader = await connect();
    const migration = await connect();
    const probe = await connect();
    await reader.query('START TRANSACTION');
    await reader.query('SELECT * FROM app.t WHERE id = 1');
    const alter = migration.query('ALTER TABLE app.t MODIFY v VARCHAR(40), ALGORITHM=COPY');
    const first = await sampleUntil([migration.threadId], (s) =>
      s.mdl.waits.some((w) => w.waiter === migration.threadId),
    );
    const wait = first.mdl.waits.find((w) => w.waiter === migration.threadId);
    expect(wait).toMatchObject({ relation: 'app.t', holders: [reader.threadId] });
    expect(mdlBlocks(wait!.mode).reads).toBe(true);
    expect(first.mdl.locks).toContainEqual(
      expect.objectContaining({
        connection: reader.threadId,
        relation: 'app.t',
        mode: 'SHARED_READ',
        granted: true,
      }),
    );
    expect(first.processlistWaits).toContainEqual(
      expect.objectContaining({ waiter: migration.threadId, kind: 'table-metadata' }),
    );

    // A plain read now queues behind the pending ALTER, not behind the reader.
    await probe.query('SET SESSION lock_wait_timeout = 10');
    const read = probe.query('SELECT v FROM app.t WHERE id = 2');
    const queued = await sampleUntil([migration.threadId], (s) =>
      s.mdl.waits.some((w) => w.waiter === probe.threadId),
    );
    expect(queued.mdl.waits.find((w) => w.waiter === probe.threadId)).toMatchObject({
      relation: 'app.t',
      mode: 'SHARED_READ',
      holders: [],
      queuedBehind: [migration.threadId],
    });

    await reader.query('COMMIT');
    await alter;
    await read;
    const after = await readLockSample(sampler, sources, [migration.threadId]);
    expect(after.mdl.waits).toEqual([]);
  });

  it('sees a probe UPDATE wait for the row lock of a one-statement UPDATE', async () => {
    const migration = await connect();
    const probe = await connect();
    // One statement that holds row 1 while it sleeps on the rows after it.
    const backfill = migration.query("UPDATE app.t SET v = CONCAT('x', SLEEP(0.5)) ORDER BY id");
    await new Promise((r) => setTimeout(r, 100));
    await probe.query('SET SESSION innodb_lock_wait_timeout = 10');
    await probe.query('START TRANSACTION');
    const write = probe.query("UPDATE app.t SET v = 'probe' WHERE id = 1");
    // InnoDB's lock tables refresh only after 100 ms without a read: poll them more slowly.
    const s = await sampleUntil(
      [migration.threadId],
      (x) => x.rowWaits?.some((w) => w.waiter === probe.threadId) ?? false,
      INNODB_LOCK_WAITS_MIN_GAP_MS,
    );
    expect(s.rowWaits).toContainEqual(
      expect.objectContaining({
        waiter: probe.threadId,
        holder: migration.threadId,
        relation: 'app.t',
        index: 'PRIMARY',
        lockType: 'RECORD',
      }),
    );
    expect(s.rowWaits?.find((w) => w.waiter === probe.threadId)?.waiterMode).toMatch(/^X/);
    await backfill;
    await write;
    await probe.query('ROLLBACK');
  });

  it("samples every 10 ms: the ALTER's wait lasts as long as the reader kept its transaction open", async () => {
    const reader = await connect();
    const migration = await connect();
    const sampling = new MysqlLockSampler(sampler, sources, [migration.threadId], {
      now: () => performance.now(),
    });
    await sampling.start();
    await reader.query('START TRANSACTION');
    await reader.query('SELECT * FROM app.t WHERE id = 3');
    const sent = performance.now();
    const alter = migration.query('ALTER TABLE app.t MODIFY v VARCHAR(60), ALGORITHM=COPY');
    await new Promise((r) => setTimeout(r, 600));
    await reader.query('COMMIT');
    const committed = performance.now();
    await alter;
    const data = await sampling.stop();
    expect(data.samples.length).toBeGreaterThan(20);

    const waits = data.waits.filter((w) => w.waiter === migration.threadId && w.kind === 'metadata');
    expect(waits.length).toBeGreaterThan(0);
    expect(waits.every((w) => w.relation === 'app.t' && w.holders.has(reader.threadId))).toBe(true);
    const measured = Math.max(...waits.map((w) => runSpanMs(w, data.samples, 10)));
    const independent = committed - sent;
    console.error(
      `[mariadb] ALTER waited: sampled ${Math.round(measured)} ms, timed ${Math.round(independent)} ms`,
    );
    expect(Math.abs(measured - independent)).toBeLessThan(Math.max(0.2 * independent, 50));

    const held = data.held.filter(
      (h) => h.connection === migration.threadId && h.granted && h.relation === 'app.t',
    );
    // The plugin shows the ALTER's lock as it is while it waits: upgraded to SHARED_NO_WRITE.
    expect(held.map((h) => h.mode)).toContain('SHARED_NO_WRITE');
    expect(data.held.every((h) => h.connection === migration.threadId)).toBe(true);
  });

  // Last: it turns the MDL instrument off for the rest of the server's life.
  it('without the MDL instrument: metadata_lock_info for holders, the processlist for waiters', async () => {
    await sampler.query(
      "UPDATE performance_schema.setup_instruments SET ENABLED = 'NO' WHERE NAME = 'wait/lock/metadata/sql/mdl'",
    );
    const fallback = await detectLockSources(sampler);
    expect(fallback.metadataLocks).toBe('metadata_lock_info');
    const reader = await connect();
    const migration = await connect();
    await reader.query('START TRANSACTION');
    await reader.query('SELECT * FROM app.t WHERE id = 1');
    const alter = migration.query('ALTER TABLE app.t ADD COLUMN w INT, ALGORITHM=COPY');
    const s = await (async () => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const x = await readLockSample(sampler, fallback, [migration.threadId]);
        if (x.processlistWaits.some((w) => w.waiter === migration.threadId) || Date.now() > deadline)
          return x;
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    expect(s.processlistWaits).toContainEqual(
      expect.objectContaining({ waiter: migration.threadId, kind: 'table-metadata' }),
    );
    expect(s.mdl.locks).toContainEqual(
      expect.objectContaining({
        connection: reader.threadId,
        relation: 'app.t',
        mode: 'SHARED_READ',
        granted: true,
      }),
    );
    // The plugin shows granted locks only: the waiter is known from the processlist, not from it.
    expect(s.mdl.waits).toEqual([]);
    await reader.query('COMMIT');
    await alter;
  });
});
