/**
 * The after-run checkpoint check opens the template for a moment to read its checksums. A
 * verifier killed in that moment, or one running now in another process, leaves it open: that is
 * not a damaged checkpoint. A template open with no verifier behind it still is.
 */
import { spawn } from 'node:child_process';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../src/backends/backend.js';
import { createCheckpoint } from '../src/core/index.js';
import { quoteIdent, withClient } from '../src/util/pg.js';
import { adminConfig } from './helpers/db.js';
import { createProject, type TestProject } from './helpers/project.js';

async function deadPid(): Promise<number> {
  const child = spawn('true');
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

describe('checkpoint verification after an interrupted verifier', () => {
  let p: TestProject;
  let backend: Backend;
  let id: string;
  const markers = () => join(p.ctx.stateDir, 'verifying');
  const allow = (on: boolean) =>
    withClient(adminConfig(), (c) =>
      c.query(`ALTER DATABASE ${quoteIdent(id)} WITH ALLOW_CONNECTIONS ${on}`),
    );
  const allowsConnections = () =>
    withClient(
      adminConfig(),
      async (c) =>
        (await c.query<{ a: boolean }>('SELECT datallowconn AS a FROM pg_database WHERE datname = $1', [id]))
          .rows[0]?.a,
    );

  beforeAll(async () => {
    p = await createProject(
      'CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 500);',
    );
    await createCheckpoint(p.ctx, { tag: 'base' });
    backend = await p.ctx.backend();
    id = (await p.ctx.registry.checkpoint('base'))!.id;
  });

  afterAll(async () => {
    await p.cleanup();
  });

  it('a template left open by a dead verifier is closed again, not called damaged', async () => {
    await allow(true);
    await mkdir(markers(), { recursive: true });
    await writeFile(join(markers(), `${id}.${await deadPid()}`), '');
    expect(await backend.verifyCheckpoint!('base')).toEqual([]);
    expect(await allowsConnections()).toBe(false);
    expect((await readdir(markers())).filter((f) => f.startsWith(id))).toEqual([]);
  });

  it('a template held open by a live verifier elsewhere is left to it', async () => {
    const other = spawn('sleep', ['30']);
    const marker = join(markers(), `${id}.${other.pid}`);
    try {
      await allow(true);
      await writeFile(marker, '');
      expect(await backend.verifyCheckpoint!('base')).toEqual([]);
      expect(await allowsConnections()).toBe(true);
    } finally {
      other.kill('SIGKILL');
      await rm(marker, { force: true });
      await allow(false);
    }
  });

  it('a template open with no verifier behind it is a damaged checkpoint', async () => {
    await allow(true);
    try {
      expect(await backend.verifyCheckpoint!('base')).toEqual([
        expect.stringMatching(/checkpoint base: .* accepts connections/),
      ]);
    } finally {
      await allow(false);
    }
  });
});
