/**
 * The local backend on an older server: PostgreSQL 15 from Debian (no file_copy_method, no
 * clone). FILE_COPY and WAL_LOG checkpoints and branches work, clone is refused with a reason,
 * and a strategy test measures as on 18. CI installs Debian's postgresql-15 for this file.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BenchServer, DEBIAN_PG15_BIN, startDebian15 } from '../bench/lib/servers.js';
import { createLocalBackend } from '../src/backends/local.js';
import { createContext } from '../src/core/context.js';
import { createCheckpoint, testStrategies } from '../src/core/index.js';
import { InvalidInputError } from '../src/errors.js';
import { configFromUrl, withClient } from '../src/util/pg.js';

const HAVE_PG15 = existsSync(join(DEBIAN_PG15_BIN, 'initdb'));

describe.skipIf(!HAVE_PG15)('local backend on PostgreSQL 15', () => {
  let dir: string;
  let server: BenchServer;
  let url: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vers-db-pg15-'));
    await chmod(dir, 0o755);
    server = await startDebian15(dir);
    await withClient(configFromUrl(server.url), (c) => c.query('CREATE DATABASE app'));
    url = server.url.replace(/\/postgres$/, '/app');
    await withClient(configFromUrl(url), (c) =>
      c.query(`CREATE TABLE users (id int PRIMARY KEY, email text);
               INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 20000) g;`),
    );
  });

  afterAll(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const contextWith = (strategy: string) =>
    createContext({
      env: {
        DATABASE_URL: url,
        VERS_DB_HOME: join(dir, `state-${strategy}`),
        VERS_DB_CLONE_STRATEGY: strategy,
      },
      cwd: dir,
      log: () => {},
    });

  it.each(['FILE_COPY', 'WAL_LOG'])(
    '%s checkpoints and branches work, and a strategy test measures',
    async (strategy) => {
      const ctx = contextWith(strategy);
      const report = await createCheckpoint(ctx, { tag: `v15-${strategy}` });
      expect(report.strategy).toBe(strategy);
      expect(report.tables).toEqual([expect.objectContaining({ relation: 'public.users', rows: 20000 })]);
      const c = await testStrategies(ctx, {
        baseline: `v15-${strategy}`,
        migrations: [
          {
            migration: 'BEGIN; LOCK TABLE users IN SHARE MODE; SELECT pg_sleep(0.3); COMMIT;',
            name: 'share',
          },
        ],
      });
      const r = c.results[0]!;
      expect(r.status).toBe('passed');
      expect(r.blocking.writes.max_wait_ms).toBeGreaterThan(200);
      expect(r.blocking.reads.max_wait_ms).toBeLessThan(50);
      const backend = await ctx.backend();
      await backend.deleteCheckpoint(`v15-${strategy}`, { force: true });
      await ctx.close();
    },
  );

  it('a migration that creates a table in public passes as the branch owner (no NOINHERIT trap on 15)', async () => {
    const ctx = contextWith('FILE_COPY');
    await createCheckpoint(ctx, { tag: 'v15-create' });
    const c = await testStrategies(ctx, {
      baseline: 'v15-create',
      migrations: [{ migration: 'CREATE TABLE audit (id int PRIMARY KEY, at timestamptz);', name: 'create' }],
    });
    expect(c.results[0]?.error ?? null).toBeNull();
    expect(c.results[0]?.status).toBe('passed');
    await (await ctx.backend()).deleteCheckpoint('v15-create', { force: true });
    await ctx.close();
  });

  it('clone is refused on 15 with the reason', async () => {
    const backend = await createLocalBackend(contextWith('clone'));
    const err = await backend.checkpoint('v15-clone').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toMatch(/clone needs PostgreSQL 18/);
  });
});
