/**
 * Application probes on a real MariaDB, checked against independent timings: during an
 * ALTER … ALGORITHM=COPY writes wait for the whole copy (and the sampler names the ALTER as the
 * holder) while reads go on; an ALGORITHM=INSTANT column makes nobody wait.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMysql, type MysqlConnection } from '../../../src/engines/mysql/client.js';
import { detectLockSources } from '../../../src/engines/mysql/lock-sources.js';
import {
  type ProbeResult,
  type ProbeTarget,
  prepareProbeConnection,
  probeTarget,
  runProbe,
  sampleKeys,
} from '../../../src/engines/mysql/probe.js';
import { MysqlLockSampler, runSpanMs } from '../../../src/engines/mysql/sampler.js';
import { mariadbAvailable, noteSkipped, useMariadb } from '../../helpers/mariadb.js';

noteSkipped('MariaDB probe tests');

const clock = { now: () => performance.now() };
const ROWS = 200_000;

describe.skipIf(!mariadbAvailable)('probes on MariaDB', () => {
  const server = useMariadb('probe');
  const open: MysqlConnection[] = [];
  let target: ProbeTarget;
  let keys: unknown[];

  const connect = async () => {
    const c = await connectMysql(server().settings);
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    const c = await connect();
    await c.query('CREATE DATABASE app');
    await c.query('CREATE TABLE app.big (id INT PRIMARY KEY, a INT, pad VARCHAR(200))');
    await c.query(`INSERT INTO app.big SELECT seq, seq % 100, REPEAT('p', 150) FROM app.seq_1_to_${ROWS}`);
    target = (await probeTarget(c, 'app', 'big'))!;
    keys = await sampleKeys(c, target, 50);
  });

  afterAll(() => {
    for (const c of open) c.destroy();
  });

  /** Probe reads and writes back to back, each kind on its own connection, until `done` settles. */
  async function probeWhile(done: Promise<unknown>): Promise<ProbeResult[]> {
    let finished = false;
    const finish = () => {
      finished = true;
    };
    done.then(finish, finish);
    const results: ProbeResult[] = [];
    const loop = async (kind: 'read' | 'write') => {
      const c = await connect();
      await prepareProbeConnection(c, 10);
      for (let i = 0; !finished; i++) {
        results.push(await runProbe(c, kind, target, keys[i % keys.length], clock));
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await Promise.all([loop('read'), loop('write'), done]);
    return results;
  }

  const maxWait = (rs: ProbeResult[], kind: string) =>
    Math.max(0, ...rs.filter((r) => r.kind === kind).map((r) => r.end - r.start));

  /** Run `sql` on a migration connection with the sampler on and probes beside it; times on `clock`. */
  async function measure(sql: string) {
    const migration = await connect();
    const samplerConn = await connect();
    const sampler = new MysqlLockSampler(
      samplerConn,
      await detectLockSources(samplerConn),
      [migration.threadId],
      clock,
    );
    await sampler.start();
    const start = clock.now();
    let end = 0;
    const run = migration.query(sql).then(() => {
      end = clock.now();
    });
    const results = await probeWhile(run);
    const data = await sampler.stop();
    expect(results.every((r) => r.outcome === 'ok')).toBe(true);
    return { migration, start, end, results, data };
  }

  it('ALGORITHM=COPY: writes wait for the whole copy, behind the ALTER; reads do not', async () => {
    const {
      migration,
      start: alterStart,
      end: alterEnd,
      results,
      data,
    } = await measure('ALTER TABLE app.big MODIFY pad VARCHAR(250), ALGORITHM=COPY');

    const alterMs = alterEnd - alterStart;
    // Independent timing: the first write probe sent after the ALTER began can finish only when it ends.
    const firstWrite = results.find((r) => r.kind === 'write' && r.start >= alterStart)!;
    const expected = alterEnd - firstWrite.start;
    const writes = maxWait(results, 'write');
    const reads = maxWait(results, 'read');
    console.error(
      `[mariadb] COPY ${Math.round(alterMs)} ms: writes waited up to ${Math.round(writes)} ms (expected ${Math.round(expected)}), reads up to ${Math.round(reads)} ms`,
    );
    expect(alterMs).toBeGreaterThanOrEqual(300); // long enough to tell "long" from "none"
    expect(Math.abs(writes - expected)).toBeLessThan(Math.max(0.2 * expected, 50));
    expect(reads).toBeLessThan(Math.max(0.5 * alterMs, 100));

    const writeWaits = data.waits.filter((w) => w.waiter === firstWrite.connection && w.kind === 'metadata');
    expect(writeWaits.length).toBeGreaterThan(0);
    expect(writeWaits[0]).toMatchObject({ relation: 'app.big', mode: 'SHARED_WRITE' });
    expect(writeWaits[0]?.holders.has(migration.threadId)).toBe(true);
    // What the ALTER held while writes waited: SHARED_NO_WRITE (the plugin's view of the upgraded lock).
    const held = data.held.filter(
      (h) => h.connection === migration.threadId && h.relation === 'app.big' && h.granted,
    );
    expect(held.map((h) => h.mode)).toContain('SHARED_NO_WRITE');
  });

  it('ALGORITHM=INSTANT: nobody waits', async () => {
    const migration = await connect();
    const alterStart = clock.now();
    // Give the probes time to run beside it: the ALTER itself takes a few milliseconds.
    const alter = (async () => {
      await new Promise((r) => setTimeout(r, 300));
      await migration.query('ALTER TABLE app.big ADD COLUMN extra INT, ALGORITHM=INSTANT');
      await new Promise((r) => setTimeout(r, 300));
    })();
    const results = await probeWhile(alter);
    const writes = maxWait(results, 'write');
    const reads = maxWait(results, 'read');
    console.error(
      `[mariadb] INSTANT (window ${Math.round(clock.now() - alterStart)} ms): writes waited up to ${Math.round(writes)} ms, reads ${Math.round(reads)} ms`,
    );
    expect(results.filter((r) => r.kind === 'write').length).toBeGreaterThan(5);
    expect(writes).toBeLessThan(100);
    expect(reads).toBeLessThan(100);
  });

  it('online CREATE INDEX (LOCK=NONE): writes are not blocked beyond brief metadata-lock phases', async () => {
    const migration = await connect();
    const start = clock.now();
    const build = migration.query(
      'ALTER TABLE app.big ADD INDEX big_a (a, pad), ALGORITHM=INPLACE, LOCK=NONE',
    );
    const results = await probeWhile(build);
    const buildMs = clock.now() - start;
    const writes = maxWait(results, 'write');
    console.error(
      `[mariadb] CREATE INDEX LOCK=NONE ${Math.round(buildMs)} ms: writes waited up to ${Math.round(writes)} ms`,
    );
    expect(results.every((r) => r.outcome === 'ok')).toBe(true);
    expect(writes).toBeLessThan(100);
  });

  it('a one-statement backfill: writes to its rows wait for row locks until it commits; reads do not', async () => {
    const { migration, start, end, results, data } = await measure('UPDATE app.big SET a = a + 1');
    // The probed keys are the table's first: locked early, released at commit.
    const firstWrite = results.find((r) => r.kind === 'write' && r.start >= start)!;
    const expected = end - firstWrite.start;
    const writes = maxWait(results, 'write');
    const reads = maxWait(results, 'read');
    console.error(
      `[mariadb] backfill ${Math.round(end - start)} ms: writes waited up to ${Math.round(writes)} ms (expected ${Math.round(expected)}), reads ${Math.round(reads)} ms`,
    );
    expect(end - start).toBeGreaterThanOrEqual(300);
    expect(Math.abs(writes - expected)).toBeLessThan(Math.max(0.2 * expected, 50));
    expect(reads).toBeLessThan(100);
    const rowWaits = data.waits.filter((w) => w.kind === 'row' && w.waiter === firstWrite.connection);
    expect(rowWaits.length).toBeGreaterThan(0);
    expect(rowWaits[0]?.relation).toBe('app.big');
    expect(rowWaits[0]?.holders.has(migration.threadId)).toBe(true);
    // Seen for most of the wait, although InnoDB's lock tables are read only every 120 ms.
    const seenMs = Math.max(...rowWaits.map((w) => runSpanMs(w, data.samples, 10)));
    expect(seenMs).toBeGreaterThan(0.6 * writes);
  });

  it('the long-reader trap: an INSTANT ALTER waits for an open reader, and reads queue behind it', async () => {
    const reader = await connect();
    const migration = await connect();
    await reader.query('START TRANSACTION');
    await reader.query('SELECT * FROM app.big WHERE id = 1');
    let committed = 0;
    const alterSent = clock.now();
    const alter = migration.query('ALTER TABLE app.big ADD COLUMN trap INT, ALGORITHM=INSTANT');
    const release = (async () => {
      await new Promise((r) => setTimeout(r, 700));
      await reader.query('COMMIT');
      committed = clock.now();
      await alter;
    })();
    const results = await probeWhile(release);
    // Independent timing: the first read sent after the ALTER queues behind it until the reader commits.
    const firstRead = results.find((r) => r.kind === 'read' && r.start >= alterSent)!;
    const expected = committed - firstRead.start;
    const reads = maxWait(results, 'read');
    const writes = maxWait(results, 'write');
    console.error(
      `[mariadb] long reader 700 ms: reads waited up to ${Math.round(reads)} ms (expected ${Math.round(expected)}), writes ${Math.round(writes)} ms`,
    );
    expect(Math.abs(reads - expected)).toBeLessThan(Math.max(0.2 * expected, 50));
    expect(writes).toBeGreaterThanOrEqual(300);
  });
});
