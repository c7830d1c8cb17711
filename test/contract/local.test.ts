/** The Backend contract on the local backend: template databases on the test server. */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalBackend } from '../../src/backends/local.js';
import { createContext } from '../../src/core/context.js';
import {
  branchDatabaseName,
  checkpointDatabaseName,
  instancePrefix,
  workingDatabaseName,
} from '../../src/state/names.js';
import { configFromUrl, quoteIdent, urlOf, withClient } from '../../src/util/pg.js';
import { adminConfig, createTestDatabase, dropTestDatabase, uniqueName } from '../helpers/db.js';
import { deadPid } from '../vers/fake-env.js';
import { backendContract } from './backend.contract.js';

backendContract('local (template databases)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vers-db-contract-'));
  await chmod(dir, 0o755);
  const source = uniqueName('contract_src');
  const config = await createTestDatabase(source);
  const ctx = createContext({
    env: { ...process.env, DATABASE_URL: urlOf(config), VERS_DB_HOME: join(dir, 'state') },
    cwd: dir,
    backend: 'local',
    log: () => {},
  });
  const backend = await createLocalBackend(ctx);
  const registry = ctx.registry;
  return {
    backend,
    registry,
    sourceSql: (sql) =>
      withClient(config, async (c) => {
        const r = await c.query(sql);
        return Array.isArray(r) ? (r.at(-1)?.rows ?? []) : r.rows;
      }),
    connectTarget: async (url) => {
      const target = configFromUrl(url);
      return { config: target, displayUrl: url, close: async () => {} };
    },
    async simulateCrash(checkpoint, branch) {
      const instance = await registry.instance();
      const database = branchDatabaseName(instance, branch);
      const pid = await deadPid();
      await registry.update((d) => {
        d.branches[branch] = {
          name: branch,
          backend: 'local',
          checkpoint,
          id: database,
          database,
          createdAt: new Date().toISOString(),
          durationMs: 0,
          strategy: 'WAL_LOG',
          state: 'creating',
          createdBy: 'crashed test',
          pid,
          keep: false,
        };
      });
      await withClient(adminConfig(), (c) => c.query(`CREATE DATABASE ${quoteIdent(database)}`));
    },
    async leftovers() {
      const d = await registry.read();
      const ready = Object.values(d.checkpoints).filter((c) => c.state === 'ready');
      const accounted = new Set([
        ...ready.map((c) => checkpointDatabaseName(d.instance, c.tag)),
        ...ready.map((c) => workingDatabaseName(d.instance, c.tag)),
        ...Object.values(d.branches)
          .filter((b) => b.state === 'ready')
          .map((b) => b.database),
      ]);
      const own = await withClient(
        adminConfig(),
        async (c) =>
          (
            await c.query<{ datname: string }>(
              'SELECT datname FROM pg_database WHERE starts_with(datname, $1)',
              [instancePrefix(d.instance)],
            )
          ).rows,
      );
      return own.map((r) => r.datname).filter((n) => !accounted.has(n));
    },
    async teardown() {
      await backend.gc().catch(() => undefined);
      for (const c of await registry.listCheckpoints('local'))
        await backend.deleteCheckpoint(c.tag, { force: true }).catch(() => undefined);
      await ctx.close();
      await dropTestDatabase(source);
      await rm(dir, { recursive: true, force: true });
    },
  };
});
