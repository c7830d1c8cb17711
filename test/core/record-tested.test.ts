/**
 * A test records what passed as tested (the guard hook's input): a passing SQL file by the hash
 * of its text; a failing one, or one whose validation failed, not at all.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCheckpoint, testStrategies } from '../../src/core/index.js';
import { contentHash, readTested } from '../../src/state/tested.js';
import { createProject, type TestProject } from '../helpers/project.js';

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
  const failedValidation = await testStrategies(p.ctx, {
    baseline: 'base',
    migrations: [{ migration: 'other.sql' }],
    validation: 'exit 3',
  });
  expect(failedValidation.results[0]?.status).toBe('failed');
  expect(readTested(p.ctx.stateDir).files[contentHash(other)]).toBeUndefined();
});
