/**
 * A test records what passed as tested (the guard hook's input): a passing SQL file by the hash
 * of its text; a failing one, or one whose validation failed, not at all.
 */
import { chmod, readFile } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCheckpoint, testStrategies } from '../../src/core/index.js';
import { contentHash, readTested } from '../../src/state/tested.js';
import { createProject, type TestProject } from '../helpers/project.js';
import { strategyA as StrategyFixture } from '../report/fixtures.js';

let p: TestProject;

beforeAll(async () => {
  p = await createProject(
    'CREATE TABLE users (id int PRIMARY KEY, name text); INSERT INTO users VALUES (1, $$a$$);',
  );
  await createCheckpoint(p.ctx, { tag: 'base' });
});

afterAll(async () => {
  await p.cleanup();
});

it('records the passing strategy and neither the failed nor the invalidated one', async () => {
  const good = 'ALTER TABLE users ADD COLUMN flag boolean;\n';
  const bad = 'ALTER TABLE missing ADD COLUMN flag boolean;\n';
  await p.file('good.sql', good);
  await p.file('bad.sql', bad);
  const c = await testStrategies(p.ctx, {
    baseline: 'base',
    migrations: [{ migration: 'good.sql' }, { migration: 'bad.sql' }],
  });
  expect(c.results.map((r) => r.status)).toEqual(['passed', 'failed']);
  const tested = readTested(p.ctx.stateDir).files;
  expect(tested[contentHash(good)]).toMatchObject({ path: 'good.sql', strategy: 'good', baseline: 'base' });
  expect(tested[contentHash(bad)]).toBeUndefined();
  expect(Object.keys(tested)).toHaveLength(1);
  expect(JSON.parse(await readFile(`${p.ctx.stateDir}/tested.json`, 'utf8')).version).toBe(1);

  const other = 'ALTER TABLE users ADD COLUMN other int;\n';
  await p.file('other.sql', other);
  await chmod(p.dir, 0o755); // as root, the validation runs as an unprivileged user that must enter the project
  const failedValidation = await testStrategies(p.ctx, {
    baseline: 'base',
    migrations: [{ migration: 'other.sql' }],
    validation: 'exit 3',
  });
  expect(failedValidation.results[0]?.status).toBe('failed');
  expect(readTested(p.ctx.stateDir).files[contentHash(other)]).toBeUndefined();
});

it('records a suite’s passing migration branches by the files they name', async () => {
  const { recordTestedSuiteBranches } = await import('../../src/core/record-tested.js');
  const up = 'ALTER TABLE users ADD COLUMN suite_col int;\n';
  const broken = 'ALTER TABLE nowhere ADD COLUMN x int;\n';
  const upPath = await p.file('suite-up.sql', up);
  const brokenPath = await p.file('suite-broken.sql', broken);
  const passed = (name: string) => ({ ...StrategyFixture, name });
  await recordTestedSuiteBranches(
    p.ctx,
    p.dir,
    [
      { name: 'up', migration: upPath },
      { name: 'broken', migration: brokenPath },
      { name: 'etl', migration: 'not sql at all' },
    ],
    {
      baseline: 'base',
      backend: 'local',
      results: [passed('up'), { ...passed('broken'), status: 'failed', error: 'relation does not exist' }],
      recommendation: null,
    },
  );
  const tested = readTested(p.ctx.stateDir).files;
  expect(tested[contentHash(up)]).toMatchObject({ strategy: 'up', path: upPath });
  expect(tested[contentHash(broken)]).toBeUndefined();
});
