/**
 * `vers-db up|down|status --engine mysql` on the local backend: the tool-owned MariaDB source
 * server (`<state>/mysql/source`, database `app`), kept running by `up`, and the branch and
 * working-copy servers beside it, stopped cleanly by `down`.
 */
import { readdir } from 'node:fs/promises';
import type { Context } from '../core/context.js';
import { listState } from '../core/manage.js';
import { findMysqlBinaries } from '../engines/mysql/binaries.js';
import { urlFromSettings } from '../engines/mysql/client.js';
import { serverLayout } from '../engines/mysql/layout.js';
import {
  kindDir,
  MYSQL_SOURCE_DATABASE,
  SERVER_KINDS,
  serverRoot,
  sourceRoot,
} from '../engines/mysql/local-layout.js';
import { ensureSource, stopSource } from '../engines/mysql/local-source.js';
import { serverStatus, stopServer } from '../engines/mysql/server.js';
import { readServerState } from '../engines/mysql/state.js';
import { InvalidInputError } from '../errors.js';
import { printJson, printText } from './output.js';

export interface MysqlUpOptions {
  thin?: string | true;
  fsync?: boolean;
}

export async function mysqlUp(ctx: Context, o: MysqlUpOptions = {}): Promise<number> {
  if (o.thin || o.fsync !== undefined) {
    throw new InvalidInputError(`--${o.thin ? 'thin' : 'fsync'} is for the embedded PostgreSQL`, {
      hint: "the MySQL engine's copies are reflinked wherever the state directory's filesystem allows",
    });
  }
  await findMysqlBinaries(ctx.env); // a clear "install mariadb-server" before anything is made
  const server = await ensureSource(ctx.stateDir, { persistent: true, log: ctx.log, env: ctx.env });
  const url = urlFromSettings({ ...server.settings, database: MYSQL_SOURCE_DATABASE });
  printText(`DATABASE_URL=${url}`);
  const { host, port, user } = server.settings;
  ctx.log(
    `load data with:  MYSQL_PWD=… mysql -h ${host} -P ${port} -u ${user} ${MYSQL_SOURCE_DATABASE} < dump.sql`,
  );
  ctx.log('then:            vers-db checkpoint <tag>   (with DATABASE_URL set, or --engine mysql)');
  return 0;
}

/** Every server directory of the MySQL engine: the source, then checkpoints' copies, branches, working copies. */
async function serverRoots(stateDir: string): Promise<string[]> {
  const roots = [sourceRoot(stateDir)];
  for (const kind of SERVER_KINDS)
    for (const name of await readdir(kindDir(stateDir, kind)).catch(() => [] as string[]))
      roots.push(serverRoot(stateDir, kind, name));
  return roots;
}

export async function mysqlDown(ctx: Context): Promise<number> {
  const source = await stopSource(ctx.stateDir).catch(() => 'not-running' as const);
  ctx.log(source === 'not-running' ? 'MySQL source server was not running' : 'MySQL source server stopped');
  let stopped = 0;
  for (const root of (await serverRoots(ctx.stateDir)).slice(1)) {
    if ((await stopServer(root)) !== 'not-running') stopped++;
  }
  if (stopped > 0)
    ctx.log(`stopped ${stopped} branch and working-copy server(s); branches start again when used`);
  return 0;
}

export async function mysqlStatus(ctx: Context, json: boolean | undefined): Promise<number> {
  const root = sourceRoot(ctx.stateDir);
  const state = await readServerState(serverLayout(root).stateFile);
  const status = state ? await serverStatus(root) : 'not initialised';
  let running = 0;
  for (const r of (await serverRoots(ctx.stateDir)).slice(1))
    if ((await serverStatus(r)) === 'running') running++;
  const all = await listState(ctx);
  const summary = {
    state_dir: ctx.stateDir,
    backend: ctx.backendKind,
    engine: 'mysql' as const,
    database_url: ctx.env.DATABASE_URL ? 'from DATABASE_URL' : null,
    source_server: {
      status,
      port: status === 'running' ? (state?.port ?? null) : null,
      data_dir: serverLayout(root).dataDir,
    },
    other_servers_running: running,
    checkpoints: all.checkpoints.filter((c) => c.engine === 'mysql').length,
    branches: all.branches.filter((b) => b.engine === 'mysql').length,
  };
  if (json) printJson(summary);
  else {
    printText(
      [
        `state directory: ${summary.state_dir}`,
        `backend:         ${summary.backend}, engine mysql (MariaDB servers vers-db runs itself)`,
        `source server:   ${status === 'running' ? `running on 127.0.0.1:${summary.source_server.port}` : status}${status === 'not initialised' ? ' (run `vers-db up --engine mysql`)' : ''}`,
        `other servers:   ${running} running (checkpoint copies are never served; branches and rollback copies are)`,
        `checkpoints:     ${summary.checkpoints}`,
        `branches:        ${summary.branches}`,
      ].join('\n'),
    );
  }
  return 0;
}
