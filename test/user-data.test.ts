/**
 * Issue 10 part 2, on real PostgreSQL: no command drops or replaces what the user created. The
 * "Why" bullets reproduced: gc after registry.json was rewritten, `vers-db run` on a source
 * database the user added a table to, a suite declaring `checkpoint: mine`, and `vers-db demo`
 * next to a user's own `vers_db_demo` and `demo-baseline-N`.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertDemoDatabaseIsOurs, DEMO_DATABASE, runDemo } from '../src/cli/demo.js';
import { createCheckpoint, testMigration } from '../src/core/index.js';
import { DEMO_CREATOR, recordDatabase } from '../src/core/ownership.js';
import { ConflictError } from '../src/errors.js';
import { runSuite } from '../src/suite/runner.js';
import { quoteIdent, withClient } from '../src/util/pg.js';
import { adminConfig, uniqueName } from './helpers/db.js';
import { createProject, type TestProject } from './helpers/project.js';

const SCHEMA = `CREATE TABLE users (id int PRIMARY KEY);
  INSERT INTO users SELECT generate_series(1, 100);`;

async function databaseExists(name: string): Promise<boolean> {
  return withClient(
    adminConfig(),
    async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1,
  );
}

describe('gc and destroy with a rewritten registry', () => {
  let p: TestProject;
  const precious = uniqueName('precious');
  beforeAll(async () => {
    p = await createProject(SCHEMA);
    await withClient(adminConfig(), (c) => c.query(`CREATE DATABASE ${quoteIdent(precious)}`));
  });
  afterAll(async () => {
    await withClient(adminConfig(), (c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(precious)}`));
    await p.cleanup();
  });

  it('never drops a database vers-db did not name, whatever registry.json says (Why, bullet 1)', async () => {
    await createCheckpoint(p.ctx, { tag: 'base' });
    const backend = await p.ctx.backend();
    const saved = await p.ctx.registry.read();
    const [b] = await backend.branch('base', ['victim']);
    // What a query running as the server's OS user could do: point entries at someone's database.
    await p.ctx.registry.update((d) => {
      d.branches.victim!.database = precious;
      d.branches.victim!.pid = 2 ** 22 + 7; // its creator is "dead": gc will remove it
    });
    const report = await backend.gc();
    expect(await databaseExists(precious)).toBe(true);
    expect(report.removed.join('\n')).toContain(`unregistered database ${b!.database}`);
    await p.ctx.registry.update((d) => {
      d.checkpoints.base!.id = precious;
    });
    await expect(backend.deleteCheckpoint('base', { force: true })).rejects.toThrow(
      /refusing to drop database/,
    );
    expect(await databaseExists(precious)).toBe(true);
    await p.ctx.registry.update((d) => {
      d.checkpoints.base!.id = saved.checkpoints.base!.id;
      d.instance = 'zz';
    });
    const before = await p.ctx.registry.read();
    await expect(backend.gc()).rejects.toThrow(/instance id "zz" is not one vers-db makes/);
    expect(await p.ctx.registry.read()).toEqual(before); // refused before touching anything
    expect(await databaseExists(precious)).toBe(true);
    await p.ctx.registry.update((d) => {
      d.instance = saved.instance;
    });
  });
});

/** A suite whose setup makes one table in its source database. */
async function suiteProject(): Promise<{ p: TestProject; file: string; source: string }> {
  const p = await createProject('');
  await chmod(p.dir, 0o755); // as root, setup commands run as an unprivileged user
  const source = new URL(p.databaseUrl).pathname.slice(1);
  await mkdir(join(p.dir, 'm'));
  await writeFile(join(p.dir, 'm', 'add.sql'), 'ALTER TABLE things ADD COLUMN note text;\n');
  const file = join(p.dir, 'vers-integration.yaml');
  await writeFile(
    file,
    [
      'services:',
      '  postgres:',
      '    template: postgres@18',
      '    config:',
      `      databases: [${source}]`,
      'tests:',
      '  migrations:',
      '    setup:',
      `      - psql -v ON_ERROR_STOP=1 -qc "CREATE TABLE things (id int PRIMARY KEY); INSERT INTO things SELECT generate_series(1, 10)"`,
      '    checkpoint: mine',
      '    branches:',
      '      - name: add-note',
      '        migration: m/add.sql',
      '',
    ].join('\n'),
  );
  return { p, file, source };
}

describe('vers-db run never loses what the user made', () => {
  let s: Awaited<ReturnType<typeof suiteProject>>;
  beforeAll(async () => {
    s = await suiteProject();
  });
  afterAll(() => s.p.cleanup());

  it('refuses to rebuild a source database the user added a table to, unless --rebuild (Why, bullet 3)', async () => {
    const first = await runSuite(s.p.ctx, { file: s.file });
    expect(first.passed).toBe(true);
    // A second run rebuilds what the first one made.
    expect((await runSuite(s.p.ctx, { file: s.file })).passed).toBe(true);
    await withClient({ ...adminConfig(), database: s.source }, (c) =>
      c.query('CREATE TABLE my_notes (id int); INSERT INTO my_notes VALUES (1)'),
    );
    const err = await runSuite(s.p.ctx, { file: s.file }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toMatch(
      /holds 1 object\(s\) the suite's setup did not create: table public.my_notes/,
    );
    const kept = await withClient(
      { ...adminConfig(), database: s.source },
      async (c) => (await c.query('SELECT count(*)::int AS n FROM my_notes')).rows[0].n,
    );
    expect(kept).toBe(1);
    const rebuilt = await runSuite(s.p.ctx, { file: s.file, rebuild: true });
    expect(rebuilt.passed).toBe(true);
  });

  it("does not replace a checkpoint the user made, nor delete the user's kept branch (Why, bullet 3)", async () => {
    // The user replaces the suite's checkpoint with their own and keeps a branch of it.
    const backend = await s.p.ctx.backend();
    await backend.deleteCheckpoint('mine', { force: true });
    await createCheckpoint(s.p.ctx, { tag: 'mine', createdBy: 'cli checkpoint' });
    const kept = await testMigration(s.p.ctx, {
      baseline: 'mine',
      migration: 'CREATE TABLE scratch (id int)',
      kind: 'sql',
      keepBranch: true,
      collectMetrics: false,
      createdBy: 'cli test',
    });
    const before = await s.p.ctx.registry.checkpoint('mine');
    const err = await runSuite(s.p.ctx, { file: s.file }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toMatch(/checkpoint "mine" already exists and was made by cli checkpoint/);
    expect(await s.p.ctx.registry.checkpoint('mine')).toEqual(before);
    expect((await s.p.ctx.registry.branch(kept.branch))?.state).toBe('ready');
    expect(await databaseExists(before!.id)).toBe(true);
  });
});

describe('vers-db demo never drops what the user made (Why, bullet 3 / part 2)', () => {
  let p: TestProject;
  beforeAll(async () => {
    p = await createProject(SCHEMA);
  });
  afterAll(() => p.cleanup());

  it(`refuses when ${DEMO_DATABASE} or demo-baseline-N exist and are not the demo's`, async () => {
    // The user's own checkpoint happens to be called demo-baseline-50.
    await createCheckpoint(p.ctx, { tag: 'demo-baseline-50', createdBy: 'cli checkpoint' });
    await expect(runDemo(p.ctx, { rows: 50, json: true })).rejects.toThrow(
      /checkpoint "demo-baseline-50" already exists and was made by cli checkpoint/,
    );
    expect((await p.ctx.registry.checkpoint('demo-baseline-50'))?.state).toBe('ready');
    // A database of that name that the demo did not make is left alone.
    const mine = uniqueName('demo_guard');
    await withClient(adminConfig(), (c) => c.query(`CREATE DATABASE ${quoteIdent(mine)}`));
    try {
      const demo = { ...adminConfig(), database: mine };
      await expect(assertDemoDatabaseIsOurs(p.ctx, adminConfig(), demo, mine)).rejects.toThrow(
        new RegExp(`database ${mine} exists and was not made by this project's`),
      );
      // Made by the demo, then the user added a table to it: still not dropped.
      await withClient(demo, (c) => c.query('CREATE TABLE demo_users (id int)'));
      await recordDatabase(p.ctx, demo, DEMO_CREATOR);
      await assertDemoDatabaseIsOurs(p.ctx, adminConfig(), demo, mine);
      await withClient(demo, (c) => c.query('CREATE TABLE my_report (id int)'));
      await expect(assertDemoDatabaseIsOurs(p.ctx, adminConfig(), demo, mine)).rejects.toThrow(
        /holds 1 object\(s\) the demo did not create: table public.my_report/,
      );
      expect(await databaseExists(mine)).toBe(true);
    } finally {
      await withClient(adminConfig(), (c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(mine)}`));
    }
  });
});
