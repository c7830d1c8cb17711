/**
 * The CLI as a user meets it: exact JSON on stdout with --json, the exit codes of DESIGN.md,
 * clear errors for bad input and bad servers, and Ctrl-C that leaves nothing behind.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointReportSchema, ComparisonSchema } from '../src/result.js';
import { withClient } from '../src/util/pg.js';
import { cli, startCli } from './helpers/cli.js';
import { adminConfig } from './helpers/db.js';
import { createProject, type TestProject } from './helpers/project.js';

const SCHEMA = `CREATE TABLE users (id int PRIMARY KEY, email text);
  INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 2000) g;`;

describe('vers-db CLI', () => {
  let p: TestProject;
  beforeAll(async () => {
    p = await createProject(SCHEMA);
  });
  afterAll(async () => {
    await p.cleanup();
  });

  it('checkpoint --json prints only the checkpoint report', async () => {
    const r = await cli(['checkpoint', 'base', '--json'], p.env, p.dir);
    expect(r.exitCode).toBe(0);
    const report = CheckpointReportSchema.parse(JSON.parse(r.stdout));
    expect(report.tables).toEqual([expect.objectContaining({ relation: 'public.users', rows: 2000 })]);
  });

  it('test --json prints exactly the comparison; progress goes to stderr', async () => {
    await p.file('a.sql', 'ALTER TABLE users ADD COLUMN a int DEFAULT 0 NOT NULL;\n');
    const r = await cli(['test', 'base', 'a.sql', '--json'], p.env, p.dir);
    expect(r.exitCode).toBe(0);
    const c = ComparisonSchema.parse(JSON.parse(r.stdout));
    expect(c.results[0]!.name).toBe('a');
    expect(c.results[0]!.rewrites).toEqual([]);
    expect(r.stderr).toMatch(/running on branch/);
  });

  it('human output is a comparison table with a recommendation', async () => {
    await p.file('b.sql', 'ALTER TABLE users ADD COLUMN b int;\n');
    const r = await cli(['test', 'base', 'b.sql'], p.env, p.dir);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/Strategy/);
    expect(r.stdout).toMatch(/Recommendation: b/);
  });

  it('a failing strategy exits 1; bad input exits 2 with a clear message', async () => {
    await p.file('fail.sql', 'SELECT 1;\nSELECT * FROM nope;\n');
    const failed = await cli(['test', 'base', 'fail.sql'], p.env, p.dir);
    expect(failed.exitCode).toBe(1);
    expect(failed.stdout).toMatch(/42P01/);

    const unknown = await cli(['test', 'nope', 'fail.sql'], p.env, p.dir);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/no checkpoint named "nope".*\n.*known checkpoints: base/);

    const badTag = await cli(['checkpoint', 'bad/tag'], p.env, p.dir);
    expect(badTag.exitCode).toBe(2);
    expect(badTag.stderr).toMatch(/invalid checkpoint tag "bad\/tag"/);

    const missing = await cli(['test', 'base', 'missing.sql'], p.env, p.dir);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/migration file not found: missing\.sql/);

    const usage = await cli(['test'], p.env, p.dir);
    expect(usage.exitCode).toBe(2);
  });

  it('an unreachable server or a wrong password exits 3 and says which', async () => {
    const refused = await cli(
      ['checkpoint', 'x'],
      { ...p.env, DATABASE_URL: 'postgres://postgres:pw@127.0.0.1:1/app' },
      p.dir,
    );
    expect(refused.exitCode).toBe(3);
    expect(refused.stderr).toMatch(
      /cannot reach PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/app: connection refused/,
    );
    const url = new URL(p.databaseUrl);
    url.password = 'wrong';
    const denied = await cli(['checkpoint', 'x'], { ...p.env, DATABASE_URL: url.toString() }, p.dir);
    expect(denied.exitCode).toBe(3);
    expect(denied.stderr).toMatch(/refused the login/);
    expect(denied.stderr).not.toContain('wrong');
  });

  it('Ctrl-C in the middle of a test cancels the statement and removes the branch', async () => {
    await p.file('slow.sql', 'SELECT pg_sleep(60);\n');
    const child = startCli(['test', 'base', 'slow.sql'], p.env, p.dir);
    // Wait until the migration is running on its branch, then interrupt.
    for (let i = 0; i < 100; i++) {
      const running = await withClient(
        adminConfig(),
        async (c) =>
          (
            await c.query(
              `SELECT 1 FROM pg_stat_activity WHERE application_name = 'vers-db:migration' AND query LIKE '%pg_sleep%'`,
            )
          ).rowCount,
      );
      if (running) break;
      await sleep(200);
    }
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(130);
    expect(String(r.stderr)).toMatch(/interrupted/);
    const left = await withClient(
      adminConfig(),
      async (c) =>
        (await c.query(`SELECT datname FROM pg_database WHERE datname LIKE 'vdb\\_%\\_b\\_slow%'`)).rowCount,
    );
    expect(left).toBe(0);
    const branches = await cli(['branches', '--json'], p.env, p.dir);
    expect(JSON.parse(branches.stdout).branches).toEqual([]);
  });
});
