/** A throwaway vers-db project: a source database on the test server and a state directory. */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Context, createContext } from '../../src/core/context.js';
import { urlOf } from '../../src/util/pg.js';
import { createTestDatabase, dropTestDatabase, uniqueName } from './db.js';

export interface TestProject {
  ctx: Context;
  dir: string;
  databaseUrl: string;
  env: Record<string, string>;
  file(name: string, content: string): Promise<string>;
  cleanup(): Promise<void>;
}

export async function createProject(setupSql: string): Promise<TestProject> {
  const db = uniqueName('proj');
  const config = await createTestDatabase(db, setupSql);
  const dir = await mkdtemp(join(tmpdir(), 'vers-db-proj-'));
  // Like a real project folder: as root, shell steps run as an unprivileged user that must enter it.
  await chmod(dir, 0o755);
  const databaseUrl = urlOf(config);
  const env = { DATABASE_URL: databaseUrl, VERS_DB_HOME: join(dir, '.vers-db') };
  const ctx = createContext({
    env: { ...process.env, ...env, VERS_DB_BACKEND: 'local' },
    cwd: dir,
    log: () => {},
  });
  return {
    ctx,
    dir,
    databaseUrl,
    env,
    async file(name, content) {
      const path = join(dir, name);
      await writeFile(path, content);
      return path;
    },
    async cleanup() {
      const backend = await ctx.backend();
      await backend.gc();
      for (const b of await ctx.registry.listBranches()) await backend.destroy(b.name);
      for (const c of await ctx.registry.listCheckpoints())
        await backend.deleteCheckpoint(c.tag, { force: true });
      await ctx.close();
      await dropTestDatabase(db);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
