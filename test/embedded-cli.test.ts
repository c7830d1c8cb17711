/** Zero configuration: with no DATABASE_URL, `up` starts the embedded server and everything works on it. */
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configFromUrl, withClient } from '../src/util/pg.js';
import { cli } from './helpers/cli.js';

describe('embedded default', () => {
  let dir: string;
  let env: Record<string, string>;

  afterAll(async () => {
    if (env) await cli(['down'], env, dir);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('up prints a DATABASE_URL a user can load data into; checkpoint and status work with no configuration', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vers-db-embedded-'));
    await chmod(dir, 0o755);
    env = { VERS_DB_HOME: join(dir, '.vers-db') };
    const up = await cli(['up'], env, dir);
    expect(up.exitCode).toBe(0);
    const url = /^DATABASE_URL=(postgres:\/\/\S+\/app)$/m.exec(up.stdout)?.[1];
    // The state directory sits in the user's project: it must never be committed by accident.
    expect(await readFile(join(dir, '.vers-db', '.gitignore'), 'utf8')).toMatch(/^\*$/m);
    expect(url).toBeTruthy();
    await withClient(configFromUrl(url!), (c) =>
      c.query('CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 10)'),
    );

    const ck = await cli(['checkpoint', 'loaded', '--json'], env, dir);
    expect(ck.exitCode).toBe(0);
    expect(JSON.parse(ck.stdout).tables).toEqual([
      expect.objectContaining({ relation: 'public.t', rows: 10 }),
    ]);

    const status = await cli(['status'], env, dir);
    expect(status.stdout).toMatch(/embedded server: running on 127\.0\.0\.1:\d+/);
    expect(status.stdout).toMatch(/checkpoints:\s+1/);

    const down = await cli(['down'], env, dir);
    expect(down.exitCode).toBe(0);
    expect((await cli(['status'], env, dir)).stdout).toMatch(/embedded server: stopped/);
  });
});
