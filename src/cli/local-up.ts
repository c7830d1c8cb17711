/**
 * `vers-db up`, `down` and `status` on the local backend for PostgreSQL: the embedded server, kept
 * running, with its source database; stopped, its thin volume unmounted; what it holds.
 */
import { embeddedStatus, stopEmbedded } from '../backends/embedded.js';
import { EMBEDDED_SOURCE_DATABASE, openEmbeddedBackend } from '../backends/local.js';
import { unmountThinVolume } from '../backends/thin-volume.js';
import type { Context } from '../core/context.js';
import { listState } from '../core/index.js';
import { withClient } from '../util/pg.js';
import { stopMysqlOnVolume } from './mysql-thin.js';
import { printJson, printText } from './output.js';
import { branchingStatus, prepareThin, renderThin, setFsync } from './thin-up.js';

export interface LocalUpOptions {
  thin?: string | true;
  fsync?: boolean;
}

export async function localUp(ctx: Context, o: LocalUpOptions = {}): Promise<number> {
  if (o.thin) await prepareThin(ctx, o.thin === true ? undefined : o.thin);
  const { backend, url: serverUrl, source } = await openEmbeddedBackend(ctx, { persistent: true });
  try {
    const fsync = o.fsync;
    if (fsync !== undefined) await withClient(source, (c) => setFsync(c, fsync, ctx.log));
  } finally {
    await backend.close();
  }
  const url = serverUrl.replace(/\/postgres$/, `/${EMBEDDED_SOURCE_DATABASE}`);
  printText(`DATABASE_URL=${url}`);
  ctx.log(`load data with:  psql "${url}" -f schema.sql   or   pg_restore -d "${url}" dump.file`);
  ctx.log(`then:            vers-db checkpoint <tag>`);
  return 0;
}

/** Stop the embedded server (and MySQL servers on the thin volume), then unmount the volume. */
export async function localDown(ctx: Context): Promise<number> {
  const stopped = await stopEmbedded(ctx.stateDir);
  ctx.log(stopped ? 'embedded PostgreSQL stopped' : 'embedded PostgreSQL was not running');
  const mysql = await stopMysqlOnVolume(ctx.stateDir);
  if (mysql > 0) ctx.log(`stopped ${mysql} MySQL server(s) on the thin volume`);
  if (await unmountThinVolume(ctx.stateDir)) ctx.log('thin volume unmounted (`vers-db up` mounts it again)');
  return 0;
}

export async function localStatus(ctx: Context, json: boolean | undefined): Promise<number> {
  const server = await embeddedStatus(ctx.stateDir);
  const state = await listState(ctx);
  const url = server.state ? server.state.port : null;
  const summary = {
    state_dir: ctx.stateDir,
    backend: ctx.backendKind,
    engine: ctx.engine,
    database_url: ctx.env.DATABASE_URL ? 'from DATABASE_URL' : null,
    embedded: {
      initialised: server.initialised,
      running: server.running,
      port: url,
      data_dir: server.state?.dataDir ?? null,
    },
    checkpoints: state.checkpoints.length,
    branches: state.branches.length,
    ...(await branchingStatus(ctx, server)),
  };
  if (json) printJson(summary);
  else {
    printText(
      [
        `state directory: ${summary.state_dir}`,
        `backend:         ${summary.backend}${ctx.env.DATABASE_URL ? ' (DATABASE_URL)' : ' (embedded default)'}`,
        `embedded server: ${server.running ? `running on 127.0.0.1:${url}` : server.initialised ? 'stopped' : summary.thin_volume?.mounted === false ? 'stopped (its thin volume is not mounted)' : 'not initialised'}`,
        `branching:       ${summary.branching.mode}: ${summary.branching.reason}`,
        ...(summary.thin_volume ? [`thin volume:     ${renderThin(summary.thin_volume)}`] : []),
        `checkpoints:     ${summary.checkpoints}`,
        `branches:        ${summary.branches}`,
      ].join('\n'),
    );
  }
  return 0;
}
