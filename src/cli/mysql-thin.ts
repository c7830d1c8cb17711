/**
 * The MySQL engine's servers on the state directory's thin volume (`vers-db up --thin --engine
 * mysql`, thin-volume.ts): they live in `<mountPoint>/mysql` (engines/mysql/local-layout.ts), so a
 * checkpoint and its branches are reflinked data directories sharing blocks. Servers already in
 * `<state>/mysql` are stopped and moved onto the volume; `down` stops them before unmounting.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { supportsReflinks } from '../backends/local-clone.js';
import {
  createThinVolume,
  DEFAULT_THIN_SIZE,
  parseSize,
  readThinVolume,
  type ThinStatus,
  thinStatus,
} from '../backends/thin-volume.js';
import type { Context } from '../core/context.js';
import { serverLayout } from '../engines/mysql/layout.js';
import { mysqlStateRoot, plainMysqlRoot, SERVER_KINDS } from '../engines/mysql/local-layout.js';
import { stopSource } from '../engines/mysql/local-source.js';
import { serverStatus, stopServer } from '../engines/mysql/server.js';
import { BackendError, InvalidInputError } from '../errors.js';
import { checkFits, mountExistingVolume } from './thin-move.js';

/**
 * Every server under a servers' home that holds one (its server.json): the source, then
 * checkpoints, branches, working copies. Nothing is made (a server's lock would make its directory).
 */
export async function serverRootsUnder(home: string): Promise<string[]> {
  const roots = [join(home, 'source')];
  for (const kind of SERVER_KINDS)
    for (const name of await readdir(join(home, kind)).catch(() => [] as string[]))
      roots.push(join(home, kind, name));
  const present: string[] = [];
  for (const root of roots) if (await exists(serverLayout(root).stateFile)) present.push(root);
  return present;
}

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

/** Stop every server under `home` cleanly; how many were running. */
export async function stopServersUnder(home: string): Promise<number> {
  let stopped = 0;
  for (const root of await serverRootsUnder(home)) if ((await stopServer(root)) !== 'not-running') stopped++;
  return stopped;
}

/** How many servers under `home` run now. */
export async function runningServersUnder(home: string): Promise<number> {
  let running = 0;
  for (const root of await serverRootsUnder(home)) if ((await serverStatus(root)) === 'running') running++;
  return running;
}

const hasServers = async (home: string) => (await serverRootsUnder(home)).length > 0;

/**
 * `up --thin` for PostgreSQL on a state directory whose MySQL servers are in `<state>/mysql`:
 * once a volume exists their home is on it, so they would be left behind; refuse, saying what moves them.
 */
export async function refuseStrandedMysql(stateDir: string): Promise<void> {
  if ((await readThinVolume(stateDir)) || !(await hasServers(plainMysqlRoot(stateDir)))) return;
  throw new InvalidInputError(
    `this state directory has MySQL servers in ${plainMysqlRoot(stateDir)}, which a thin volume would leave behind`,
    {
      hint: 'run `vers-db up --thin --engine mysql` first (it makes the volume and moves them), then `vers-db up --thin`',
    },
  );
}

/**
 * `up --thin [SIZE] --engine mysql`: make (or mount) the volume; servers already in `<state>/mysql`
 * are stopped and moved onto it, keeping their names, ports and users.
 */
export async function prepareMysqlThin(ctx: Context, sizeArg: string | undefined): Promise<void> {
  const plain = plainMysqlRoot(ctx.stateDir);
  const toMove = (await hasServers(plain)) ? plain : null;
  if (await mountExistingVolume(ctx, sizeArg)) {
    if (toMove) await moveServers(ctx, toMove, mysqlStateRoot(ctx.stateDir));
    return;
  }
  const size = parseSize(sizeArg ?? DEFAULT_THIN_SIZE);
  if (toMove) {
    await checkFits('the MySQL servers', toMove, size, ' --engine mysql');
    // Stopped before the volume exists: afterwards their paths resolve onto it.
    const stopped = await stopServersUnder(toMove);
    if (stopped > 0) ctx.log(`stopped ${stopped} MySQL server(s) in ${toMove} to move them`);
  }
  await createThinVolume(ctx.stateDir, size, ctx.log);
  if (toMove) await moveServers(ctx, toMove, mysqlStateRoot(ctx.stateDir));
}

async function moveServers(ctx: Context, from: string, to: string): Promise<void> {
  if (await hasServers(to))
    throw new BackendError(`MySQL servers exist both in ${from} and on the thin volume (${to})`, {
      hint: `keep one set: remove the checkpoints and branches of one (\`vers-db rm\`), or move ${from} away, then run \`vers-db up --thin --engine mysql\` again`,
    });
  ctx.log(
    `this state directory already holds MySQL servers in ${from}: moving them onto the thin volume; checkpoints and branches keep their names`,
  );
  await stopServersUnder(from);
  const roots = await serverRootsUnder(from);
  await rm(to, { recursive: true, force: true }); // an empty home a failed start left
  const cp = await execa('cp', ['-a', '--', from, to], { reject: false });
  if (cp.exitCode !== 0) {
    await rm(to, { recursive: true, force: true });
    throw new BackendError(
      `could not copy the MySQL servers onto the thin volume: ${String(cp.stderr).trim()}`,
      {
        hint: `they are untouched in ${from}; free space on the volume, or remove ${ctx.stateDir}/thin.json to keep them where they are`,
      },
    );
  }
  for (const root of roots) {
    // A socket too long for run/ sits in a directory of its own under /tmp, keyed by the old path.
    const socketDir = dirname(serverLayout(root).socket);
    if (socketDir !== serverLayout(root).runDir) await rm(socketDir, { recursive: true, force: true });
  }
  await rm(from, { recursive: true, force: true });
  ctx.log(`moved the MySQL servers to ${to}`);
}

export interface MysqlCopies {
  /** true: checkpoints and branches are reflinks sharing blocks; false: full copies; null: unknown now. */
  reflinks: boolean | null;
  where: string;
  reason: string;
}

async function nearestExisting(dir: string): Promise<string> {
  for (let d = dir; ; d = dirname(d)) {
    if ((await stat(d).catch(() => null)) || dirname(d) === d) return d;
  }
}

/** `status` / `doctor`: are the MySQL engine's branch copies reflinked or full copies, and why. */
export async function mysqlCopies(
  stateDir: string,
): Promise<{ copies: MysqlCopies; thin_volume: ThinStatus | null }> {
  const thin = await thinStatus(stateDir);
  const home = mysqlStateRoot(stateDir);
  if (thin && !thin.mounted)
    return {
      copies: {
        reflinks: null,
        where: home,
        reason:
          'the servers are on the thin volume, which is not mounted (`vers-db up --engine mysql` mounts it)',
      },
      thin_volume: thin,
    };
  const where = await nearestExisting(home);
  const reflinks = await supportsReflinks(where).catch(() => false);
  const reason = reflinks
    ? `${thin ? 'on the thin volume: ' : ''}checkpoints and branches are reflinked data directories sharing blocks`
    : `the filesystem of ${where} has no reflinks: every checkpoint and branch is a full copy (\`vers-db up --thin --engine mysql\` as root makes a volume with them)`;
  return { copies: { reflinks, where, reason }, thin_volume: thin };
}

/**
 * `vers-db down` (PostgreSQL) on a state directory whose volume also holds MySQL servers: they
 * would keep it busy, so they are stopped first (the source as `down --engine mysql` stops it).
 */
export async function stopMysqlOnVolume(stateDir: string): Promise<number> {
  const thin = await thinStatus(stateDir);
  if (!thin?.mounted) return 0;
  const home = mysqlStateRoot(stateDir);
  const roots = await serverRootsUnder(home);
  if (roots.length === 0) return 0;
  let stopped = 0;
  if (roots.includes(join(home, 'source')) && (await stopSource(stateDir)) !== 'not-running') stopped++;
  return stopped + (await stopServersUnder(home));
}
