/** `vers-db doctor` tells what works here: the server it reaches, and each check's verdict. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.js';
import { createProject, type TestProject } from './helpers/project.js';

describe('vers-db doctor', () => {
  let p: TestProject;
  beforeAll(async () => {
    p = await createProject('CREATE TABLE t (id int)');
  });
  afterAll(async () => {
    await p.cleanup();
  });

  it('reports the server version and passes on a working setup', async () => {
    const r = await cli(['doctor'], p.env, p.dir);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ok\s+PostgreSQL\s+18\.\d+ at postgres:\/\/postgres:\*\*\*@/m);
    expect(r.stdout).toMatch(/^ok\s+Node\.js\s+v20/m);
    expect(r.stdout).toMatch(/^ok\s+guard hook\s+on in Claude Code: 0 migration\(s\) recorded as tested/m);
  });

  it('fails with exit 3 and the reason when the server cannot be reached', async () => {
    const r = await cli(
      ['doctor'],
      { ...p.env, DATABASE_URL: 'postgres://postgres:pw@127.0.0.1:1/app' },
      p.dir,
    );
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toMatch(/^FAIL\s+PostgreSQL\s+cannot reach PostgreSQL/m);
  });
});
