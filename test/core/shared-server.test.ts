/**
 * Issue 10, part 4 (shared server, shared budget):
 * - 20 tables with --parallel 8 exhausted connections and all 8 results were discarded,
 *   including 4 that passed: now one connection budget per server, strategies queue for it;
 * - one strategy that cannot be measured never discards the others' results (allSettled);
 * - a CLI that started the embedded server on demand stopped it on exit while another CLI was
 *   mid-test: now the server stops only when no live process uses it.
 */
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedStatus } from '../../src/backends/embedded.js';
import { ConnectionBudget } from '../../src/core/connection-budget.js';
import { createCheckpoint, testStrategies } from '../../src/core/index.js';
import { CancelledError } from '../../src/errors.js';
import { configFromUrl, connect, withClient } from '../../src/util/pg.js';
import { cli, startCli } from '../helpers/cli.js';
import { adminConfig } from '../helpers/db.js';
import { createProject, type TestProject } from '../helpers/project.js';

const TABLES = 20;
const schema = Array.from(
  { length: TABLES },
  (_, i) =>
    `CREATE TABLE t${i} (id int PRIMARY KEY, v text); INSERT INTO t${i} SELECT g, 'x' FROM generate_series(1, 50) g;`,
).join('\n');

const FREE_SQL = `SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int
  - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int AS free`;

describe('one connection budget, allSettled', () => {
  let p: TestProject;
  beforeAll(async () => {
    p = await createProject(schema);
    await createCheckpoint(p.ctx, { tag: 'base', includeStats: false });
  });
  afterAll(async () => {
    await p.cleanup();
  });

  it('20 tables with parallel 8 on a server with 70 free connections: all 8 results, none lost', async () => {
    // Leave the server ~70 free connections, as a busy production-sized server would.
    const fillers: pg.Client[] = [];
    try {
      const free = await withClient(
        adminConfig(),
        async (c) => (await c.query<{ free: number }>(FREE_SQL)).rows[0]!.free,
      );
      for (let i = 0; i < free - 70; i++) fillers.push(await connect(adminConfig(), 'test:filler'));
      const migrations = Array.from({ length: 8 }, (_, i) => ({
        name: `s${i}`,
        migration: `ALTER TABLE t${i} ADD COLUMN c int; UPDATE t${i} SET c = id;`,
      }));
      const c = await testStrategies(p.ctx, { baseline: 'base', migrations, parallel: 8 });
      expect(c.results.map((r) => [r.name, r.status, r.error])).toEqual(
        migrations.map((m) => [m.name, 'passed', null]),
      );
      // Each was measured with probes (queued for room), not stripped of them.
      for (const r of c.results)
        expect(r.metrics?.probed_tables ?? r.blocking.writes.probes).toBeGreaterThan(0);
      expect(await p.ctx.registry.listBranches()).toEqual([]);
    } finally {
      await Promise.all(fillers.map((f) => f.end().catch(() => undefined)));
    }
  });

  it('a strategy that cannot be measured becomes a failed result beside the others', async () => {
    // It kills its own branch's measuring sessions, so its "after" snapshot cannot be taken.
    const killer = `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name LIKE 'vers-db:%'`;
    const c = await testStrategies(p.ctx, {
      baseline: 'base',
      parallel: 3,
      migrations: [
        { name: 'a', migration: 'ALTER TABLE t1 ADD COLUMN a int' },
        { name: 'killer', migration: killer },
        { name: 'b', migration: 'ALTER TABLE t2 ADD COLUMN b int' },
      ],
    });
    expect(c.results.map((r) => [r.name, r.status])).toEqual([
      ['a', 'passed'],
      ['killer', 'failed'],
      ['b', 'passed'],
    ]);
    expect(c.recommendation?.name).toMatch(/^[ab]$/);
    expect(await p.ctx.registry.listBranches()).toEqual([]);
  });
});

describe('ConnectionBudget', () => {
  it('grants in arrival order, queues what does not fit, and lets a cancelled waiter go', async () => {
    const b = new ConnectionBudget(10);
    const order: string[] = [];
    const r1 = await b.acquire(6);
    const p2 = b.acquire(6).then((r) => {
      order.push('second');
      return r;
    });
    // p3 fits now, but waits its turn behind p2.
    const p3 = b.acquire(2).then((r) => {
      order.push('third');
      return r;
    });
    const abort = new AbortController();
    const p4 = b.acquire(4, abort.signal);
    abort.abort();
    await expect(p4).rejects.toBeInstanceOf(CancelledError);
    await new Promise((r) => setTimeout(r, 10));
    expect(order).toEqual([]);
    r1();
    (await p2)();
    (await p3)();
    expect(order).toEqual(['second', 'third']);
    expect(b.idle).toBe(true);
    (await b.acquire(50))(); // more than the total: capped, runs alone
  });
});

describe('the embedded server started on demand', () => {
  let dir: string;
  afterAll(async () => {
    if (dir) {
      await cli(['down'], { VERS_DB_HOME: join(dir, '.vers-db') }, dir);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('is stopped only when no live process uses it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vers-db-shared-'));
    await chmod(dir, 0o755);
    const home = join(dir, '.vers-db');
    const env = { VERS_DB_HOME: home };
    expect((await cli(['checkpoint', 'base'], env, dir)).exitCode).toBe(0);
    expect((await embeddedStatus(home)).running).toBe(false); // its only user left

    const a = startCli(['test', 'base', 'SELECT pg_sleep(6)'], env, dir);
    const sleeping = async (seconds: number) => {
      for (let i = 0; i < 300; i++) {
        const s = await embeddedStatus(home);
        if (s.running && s.state) {
          const url = `postgres://postgres:${encodeURIComponent(s.state.password)}@127.0.0.1:${s.state.port}/postgres`;
          const n = await withClient(
            configFromUrl(url),
            async (c) =>
              (
                await c.query(`SELECT 1 FROM pg_stat_activity WHERE query = $1`, [
                  `SELECT pg_sleep(${seconds})`,
                ])
              ).rowCount,
          ).catch(() => 0);
          if (n) return;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`pg_sleep(${seconds}) never started`);
    };
    await sleeping(6); // a started the server and is mid-test
    const b = startCli(['test', 'base', 'SELECT pg_sleep(10)'], env, dir);
    await sleeping(10); // b joined it and is mid-test
    const ra = await a;
    expect(ra.exitCode, String(ra.stderr)).toBe(0);
    expect((await embeddedStatus(home)).running).toBe(true); // b still uses it
    const rb = await b;
    expect(rb.exitCode, String(rb.stderr)).toBe(0);
    expect((await embeddedStatus(home)).running).toBe(false); // the last user stopped it
    expect(await readdir(join(home, 'embedded-users'))).toEqual([]);
  });
});
