/** `vers-db test --workload` as a user runs it: flags override the file, a bad file fails before any branch exists. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComparisonSchema } from '../../src/result.js';
import { cli } from '../helpers/cli.js';
import { createProject, type TestProject } from '../helpers/project.js';

const SCHEMA = `CREATE TABLE users (id int PRIMARY KEY, email text);
  INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 2000) g;`;

const WORKLOAD = `-- @rate 100
-- @param $1 key users
SELECT email FROM users WHERE id = $1;

-- @commit
-- @param $1 fresh int users(id)
INSERT INTO users (id, email) VALUES ($1, 'new') RETURNING id;
`;

describe('vers-db test --workload', () => {
  let p: TestProject;
  beforeAll(async () => {
    p = await createProject(SCHEMA);
    expect((await cli(['checkpoint', 'base'], p.env, p.dir)).exitCode).toBe(0);
  });
  afterAll(async () => {
    await p.cleanup();
  });

  it('runs the workload with the flags over the file, and reports it in the JSON and the table', async () => {
    await p.file('a.sql', 'ALTER TABLE users ADD COLUMN a int;\n');
    await p.file('app.sql', WORKLOAD);
    const flags = [
      '--workload',
      'app.sql',
      '--workload-rate',
      '50',
      '--workload-baseline',
      '400',
      '--workload-after',
      '200',
    ];
    const r = await cli(['test', 'base', 'a.sql', ...flags, '--json'], p.env, p.dir);
    expect(r.exitCode, r.stderr).toBe(0);
    const w = ComparisonSchema.parse(JSON.parse(r.stdout)).results[0]!.workload!;
    expect(w).toMatchObject({ file: 'app.sql', rate: 50, concurrency: 2 });
    expect(w.windows.baseline_ms).toBeGreaterThanOrEqual(390);
    expect(w.statements.map((s) => [s.name, s.kind, s.commit])).toEqual([
      ['stmt1', 'read', false],
      ['stmt2', 'write', true],
    ]);
    expect(w.writes.committed).toBeGreaterThan(5);
    expect(w.writes.missing).toBe(0);
    expect(r.stderr).toMatch(/workload app\.sql: baseline window of 400 ms/);

    const text = await cli(['test', 'base', 'a.sql', ...flags], p.env, p.dir);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toMatch(/Application workload\napp\.sql · 50\/s · 2 session\(s\)/);
    expect(text.stdout).toMatch(
      /a: committed writes \d+ committed \(\d+ during the migration\), all found afterwards/,
    );
  });

  it('a bad workload file exits 2 naming the line, and leaves no branch', async () => {
    await p.file(
      'bad.sql',
      'SELECT 1;\n-- @param $1 key users\nSELECT $1;\n-- @commit\nINSERT INTO users VALUES (1);\n',
    );
    const r = await cli(['test', 'base', 'a.sql', '--workload', 'bad.sql'], p.env, p.dir);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/bad\.sql:5: a committing write must say RETURNING/);
    const missing = await cli(['test', 'base', 'a.sql', '--workload', 'nope.sql'], p.env, p.dir);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/cannot read the workload file nope\.sql: ENOENT/);
    expect(await p.ctx.registry.listBranches()).toEqual([]);
  });
});
