/**
 * A state directory that never had a MySQL server: `down --engine mysql` and gc have nothing to
 * stop and say so at once (they used to wait minutes for a lock file in a directory that did not
 * exist), and neither makes a server.
 */
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createContext } from '../../../src/core/context.js';
import { stopSource, stopSourceIfUnused } from '../../../src/engines/mysql/local-source.js';

describe('MySQL on a fresh state directory', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('stopping the source and gc return without starting or waiting for anything', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vdb-my-fresh-'));
    dirs.push(dir);
    await chmod(dir, 0o755);
    const state = join(dir, 'state');
    expect(await stopSource(state)).toBe('not-running');
    expect(await stopSourceIfUnused(state)).toBe(false);
    const env: NodeJS.ProcessEnv = { ...process.env, VERS_DB_HOME: state };
    delete env.DATABASE_URL;
    delete env.VERS_DB_ENGINE;
    const ctx = createContext({ env, cwd: dir, backend: 'local', engine: 'mysql', log: () => {} });
    try {
      expect(await (await ctx.backend()).gc()).toEqual({ removed: [], kept: [], errors: [] });
    } finally {
      await ctx.close();
    }
    // No server was made for it.
    await expect(stat(join(state, 'mysql', 'source', 'data'))).rejects.toMatchObject({ code: 'ENOENT' });
  }, 20_000);
});
