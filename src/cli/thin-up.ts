/**
 * `vers-db up --thin [SIZE]`: put the embedded cluster on a loopback XFS volume with reflinks.
 * A state directory that already holds a cluster has it moved onto the volume (its checkpoints
 * and branches are databases in it, so they keep working); one that already has a volume keeps it.
 */
import { rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import type { ClientBase } from 'pg';
import { type BranchStrategyReport, describeBranchStrategy } from '../backends/branch-strategy.js';
import { embeddedStatus, setEmbeddedDataDir, stopEmbedded } from '../backends/embedded.js';
import {
  createThinVolume,
  DEFAULT_THIN_SIZE,
  destroyThinVolume,
  formatSize,
  parseSize,
  type ThinStatus,
  thinStatus,
} from '../backends/thin-volume.js';
import type { Context } from '../core/context.js';
import { BackendError, InvalidInputError } from '../errors.js';
import { checkFits, mountExistingVolume } from './thin-move.js';

export async function prepareThin(ctx: Context, sizeArg: string | undefined): Promise<void> {
  if (ctx.env.DATABASE_URL)
    throw new InvalidInputError(
      '--thin puts the embedded cluster on a volume, but DATABASE_URL points at your own server',
      {
        hint: "unset DATABASE_URL to use the embedded default, or keep your server's data directory on XFS, Btrfs or ZFS",
      },
    );
  if (await mountExistingVolume(ctx, sizeArg)) return;
  const size = parseSize(sizeArg ?? DEFAULT_THIN_SIZE);
  await (await import('./mysql-thin.js')).refuseStrandedMysql(ctx.stateDir);
  const status = await embeddedStatus(ctx.stateDir);
  if (!status.initialised || !status.state) {
    await createThinVolume(ctx.stateDir, size, ctx.log);
    return;
  }
  const from = status.state.dataDir;
  const bytes = await checkFits('the existing cluster', from, size);
  ctx.log(
    `this state directory already holds a cluster (${formatSize(bytes)} in ${from}): moving it onto the thin volume; checkpoints and branches keep their names`,
  );
  if (status.running) await stopEmbedded(ctx.stateDir);
  const v = await createThinVolume(ctx.stateDir, size, ctx.log);
  const to = join(v.mountPoint, 'pg');
  const cp = await execa('cp', ['-a', '--', from, to], { reject: false });
  if (cp.exitCode !== 0) {
    await destroyThinVolume(ctx.stateDir).catch(() => undefined);
    throw new BackendError(`could not copy the cluster onto the thin volume: ${String(cp.stderr).trim()}`, {
      hint: 'the cluster is untouched where it was; `vers-db up` starts it without --thin',
    });
  }
  await setEmbeddedDataDir(ctx.stateDir, to);
  await rm(from, { recursive: true, force: true });
  ctx.log(`moved the cluster to ${to}`);
}

async function nearestExisting(dir: string): Promise<string> {
  for (let d = dir; ; d = dirname(d)) {
    if ((await stat(d).catch(() => null)) || dirname(d) === d) return d;
  }
}

/** `status`: how branches are made (probing where the embedded cluster is, or will be), and the thin volume. */
export async function branchingStatus(
  ctx: Context,
  server: { initialised: boolean; state: { dataDir: string } | null },
): Promise<{ branching: BranchStrategyReport; thin_volume: ThinStatus | null }> {
  const thin = await thinStatus(ctx.stateDir);
  if (thin && !thin.mounted && !ctx.env.DATABASE_URL) {
    const reason = 'the cluster is on the thin volume, which is not mounted (`vers-db up` mounts it)';
    return {
      branching: { mode: 'thin', strategy: 'FILE_COPY+clone', filesystem: 'xfs', reflinks: null, reason },
      thin_volume: thin,
    };
  }
  let dataDir: string | null = null;
  if (!ctx.env.DATABASE_URL) {
    if (thin) dataDir = thin.mount_point;
    else if (server.initialised && server.state) dataDir = server.state.dataDir;
    else dataDir = await nearestExisting(ctx.stateDir); // not initialised yet: where the cluster will go
  }
  const branching = await describeBranchStrategy({
    dataDir,
    serverMajor: 18, // the embedded server is PostgreSQL 18
    forced: ctx.env.VERS_DB_CLONE_STRATEGY,
  });
  return { branching, thin_volume: thin };
}

export function renderThin(t: ThinStatus): string {
  if (!t.mounted) return `${t.image} (${formatSize(t.size_bytes)}), not mounted (\`vers-db up\` mounts it)`;
  return `${t.image} on ${t.mount_point}: ${formatSize(t.used_bytes ?? 0)} used of ${formatSize(t.size_bytes)}`;
}

const FSYNC_OFF_SQL = 'ALTER SYSTEM SET fsync = off';
const FSYNC_RESET_SQL = 'ALTER SYSTEM RESET fsync';
const RELOAD_SQL = 'SELECT pg_reload_conf()';

/**
 * `up --no-fsync` / `--fsync`. A FILE_COPY branch fsyncs every file it makes (hundreds per
 * database) with a checkpoint on each side; on a clone those fsyncs are most of its time. Without
 * them a PostgreSQL crash is still safe, an OS crash or power loss is not: reload the data then.
 */
export async function setFsync(c: ClientBase, on: boolean, log: (msg: string) => void): Promise<void> {
  await c.query(on ? FSYNC_RESET_SQL : FSYNC_OFF_SQL);
  await c.query(RELOAD_SQL);
  log(
    on
      ? 'fsync on (the default)'
      : 'fsync off: branches skip their fsyncs; after an OS crash or power loss, reload the data (`vers-db up --fsync` turns it back on)',
  );
}
