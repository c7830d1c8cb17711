/**
 * The local backend's own behaviour (the shared Backend contract is in test/contract): the busy
 * source error, the recorded clone strategy, registry-first creation and gc of leftovers, and
 * that the checkpoint's data never changes whatever the branches do.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalBackend } from '../src/backends/local.js';
import { createLocalBackend } from '../src/backends/local.js';
import { createContext } from '../src/core/context.js';
import { ConflictError, DatabaseError, InvalidInputError, NotFoundError } from '../src/errors.js';
import { connect, quoteIdent, urlOf, withClient } from '../src/util/pg.js';
import {
  adminConfig,
  createTestDatabase,
  dropTestDatabase,
  tableChecksums,
  uniqueName,
} from './helpers/db.js';

const SCHEMA = `
  CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL);
  INSERT INTO users SELECT g, 'u' || g || '@x' FROM generate_series(1, 5000) g;`;

describe('local backend', () => {
  const source = uniqueName('src');
  let stateDir: string;
  let backend: LocalBackend;
  let ctx: ReturnType<typeof createContext>;

  beforeAll(async () => {
    const config = await createTestDatabase(source, SCHEMA);
    stateDir = await mkdtemp(join(tmpdir(), 'vers-db-local-'));
    ctx = createContext({ env: { DATABASE_URL: urlOf(config), VERS_DB_HOME: stateDir }, log: () => {} });
    backend = await createLocalBackend(ctx);
  });

  afterAll(async () => {
    await backend.gc();
    for (const c of await ctx.registry.listCheckpoints())
      await backend.deleteCheckpoint(c.tag, { force: true });
    await dropTestDatabase(source);
    await rm(stateDir, { recursive: true, force: true });
  });

  it('checkpoints with a recorded clone strategy and refuses a taken tag', async () => {
    const info = await backend.checkpoint('base');
    expect(['WAL_LOG', 'FILE_COPY', 'FILE_COPY+clone']).toContain(info.strategy);
    expect(info.durationMs).toBeGreaterThan(0);
    const entry = await ctx.registry.checkpoint('base');
    expect(entry?.state).toBe('ready');
    await expect(backend.checkpoint('base')).rejects.toBeInstanceOf(ConflictError);
  });

  it('rejects invalid names before touching the server', async () => {
    await expect(backend.checkpoint('bad name')).rejects.toBeInstanceOf(InvalidInputError);
    await expect(backend.checkpoint('x'.repeat(49))).rejects.toThrow(/49 characters/);
    await expect(backend.branch('base', ['a;drop'])).rejects.toThrow(/invalid branch name/);
    await expect(backend.branch('nope', ['ok'])).rejects.toBeInstanceOf(NotFoundError);
  });

  it('names the sessions that keep the source busy, and leaves no half-made checkpoint', async () => {
    const other = await connect({ ...adminConfig(), database: source }, 'someone-else');
    try {
      const err = await backend.checkpoint('busy').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DatabaseError);
      expect((err as Error).message).toMatch(/being accessed by other users: pid \d+ \(someone-else/);
      expect(await ctx.registry.checkpoint('busy')).toBeUndefined();
    } finally {
      await other.end();
    }
  });

  it('branches are isolated from each other and from the checkpoint', async () => {
    const before = await tableChecksums({ ...adminConfig(), database: source });
    const [a, b] = await backend.branch('base', ['iso-a', 'iso-b']);
    const ca = await backend.connect(a!.name);
    const cb = await backend.connect(b!.name);
    await withClient(ca.config, (c) => c.query('DELETE FROM users WHERE id <= 100'));
    const countB = await withClient(
      cb.config,
      async (c) => (await c.query('SELECT count(*)::int AS n FROM users')).rows[0].n,
    );
    expect(countB).toBe(5000);
    await backend.destroy(a!.name);
    await backend.destroy(b!.name);
    // The checkpoint is a template: a fresh copy of it still has every row, byte for byte.
    const r = await backend.rollback('base');
    const work = { ...adminConfig(), database: new URL(r.target).pathname.slice(1) };
    expect(await tableChecksums(work)).toEqual(before);
  });

  it('exec runs a shell command with the branch in PG* variables and DATABASE_URL', async () => {
    const [b] = await backend.branch('base', ['exec-me']);
    const r = await backend.exec(
      b!.name,
      'printf "%s " "$PGDATABASE"; echo "$DATABASE_URL" | grep -c postgres://',
    );
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(`${b!.database} 1`);
    await backend.destroy(b!.name);
  });

  it('gc removes branches of a dead creator and unregistered databases of its own prefix only', async () => {
    const [b] = await backend.branch('base', ['crashed']);
    // Simulate a crash: the creator is gone and never removed its branch.
    await ctx.registry.update((d) => {
      d.branches.crashed!.pid = 2 ** 22 + 12345;
    });
    const instance = await ctx.registry.instance();
    const stray = `vdb_${instance}_b_stray`;
    const foreign = 'vdb_ffffff_b_not_mine';
    await withClient(adminConfig(), async (c) => {
      await c.query(`CREATE DATABASE ${quoteIdent(stray)}`);
      await c.query(`CREATE DATABASE ${quoteIdent(foreign)}`);
    });
    try {
      const report = await backend.gc();
      expect(report.removed.join('\n')).toContain('branch crashed');
      expect(report.removed.join('\n')).toContain(stray);
      const left = await withClient(adminConfig(), async (c) =>
        (await c.query<{ datname: string }>('SELECT datname FROM pg_database')).rows.map((x) => x.datname),
      );
      expect(left).not.toContain(b!.database);
      expect(left).not.toContain(stray);
      expect(left).toContain(foreign);
    } finally {
      await withClient(adminConfig(), (c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(foreign)}`));
    }
  });
});
