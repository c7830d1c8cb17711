/**
 * `vers-db up|down|status --engine mysql` on the local backend: the tool-owned MariaDB source
 * server (`<state>/mysql/source`, or on the thin volume with `--thin`: mysql-thin.ts), kept running
 * by `up`, and the branch and working-copy servers beside it, stopped cleanly by `down`.
 */
import { embeddedStatus } from '../backends/embedded.js';
import { thinStatus, unmountThinVolume } from '../backends/thin-volume.js';
import type { Context } from '../core/context.js';
import { listState } from '../core/manage.js';
import { findMysqlBinaries } from '../engines/mysql/binaries.js';
import { urlFromSettings } from '../engines/mysql/client.js';
import { serverLayout } from '../engines/mysql/layout.js';
import { MYSQL_SOURCE_DATABASE, mysqlStateRoot, sourceRoot } from '../engines/mysql/local-layout.js';
import { ensureSource, stopSource } from '../engines/mysql/local-source.js';
import { serverStatus } from '../engines/mysql/server.js';
import { readServerState } from '../engines/mysql/state.js';
import { InvalidInputError } from '../errors.js';
import {
  mysqlCopies,
  prepareMysqlThin,
  runningServersUnder,
  serverRootsUnder,
  stopServersUnder,
} from './mysql-thin.js';
import { printJson, printText } from './output.js';
import { renderThin } from './thin-up.js';

export interface MysqlUpOptions {
  thin?: string | true;
  fsync?: boolean;
}

export async function mysqlUp(ctx: Context, o: MysqlUpOptions = {}): Promise<number> {
  if (o.fsync !== undefined) {
    throw new InvalidInputError('--fsync is for the embedded PostgreSQL', {
      hint: "the MySQL engine's servers keep MariaDB's own durability settings",
    });
  }
  await findMysqlBinaries(ctx.env); // a clear "install mariadb-server" before anything is made
  // With a volume already there (made for PostgreSQL, say), `up` mounts it and moves servers onto it too.
  if (o.thin || (await thinStatus(ctx.stateDir)))
    await prepareMysqlThin(ctx, typeof o.thin === 'string' ? o.thin : undefined);
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

export async function mysqlDown(ctx: Context): Promise<number> {
  const thin = await thinStatus(ctx.stateDir);
  if (thin && !thin.mounted) {
    ctx.log('MySQL servers are on the thin volume, which is not mounted: none is running');
    return 0;
  }
  const home = mysqlStateRoot(ctx.stateDir);
  const hasSource = (await serverRootsUnder(home)).includes(sourceRoot(ctx.stateDir));
  const source = hasSource
    ? await stopSource(ctx.stateDir).catch(() => 'not-running' as const)
    : 'not-running';
  ctx.log(source === 'not-running' ? 'MySQL source server was not running' : 'MySQL source server stopped');
  const stopped = await stopServersUnder(home);
  if (stopped > 0)
    ctx.log(`stopped ${stopped} branch and working-copy server(s); branches start again when used`);
  if (!thin) return 0;
  const pg = await embeddedStatus(ctx.stateDir);
  if (pg.running && pg.state?.dataDir.startsWith(`${thin.mount_point}/`)) {
    ctx.log('the thin volume stays mounted: the embedded PostgreSQL runs on it (`vers-db down` stops both)');
  } else if (await unmountThinVolume(ctx.stateDir)) {
    ctx.log('thin volume unmounted (`vers-db up --engine mysql` mounts it again)');
  }
  return 0;
}

export async function mysqlStatus(ctx: Context, json: boolean | undefined): Promise<number> {
  const root = sourceRoot(ctx.stateDir);
  const state = await readServerState(serverLayout(root).stateFile);
  const status = state ? await serverStatus(root) : 'not initialised';
  const running = (await runningServersUnder(mysqlStateRoot(ctx.stateDir))) - (status === 'running' ? 1 : 0);
  const all = await listState(ctx);
  const { copies, thin_volume } = await mysqlCopies(ctx.stateDir);
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
    branch_copies: copies,
    thin_volume,
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
        `branch copies:   ${copies.reflinks === null ? 'unknown' : copies.reflinks ? 'reflinked' : 'full copies'} (${copies.reason})`,
        ...(thin_volume ? [`thin volume:     ${renderThin(thin_volume)}`] : []),
        `checkpoints:     ${summary.checkpoints}`,
        `branches:        ${summary.branches}`,
      ].join('\n'),
    );
  }
  return 0;
}
