/**
 * The tool-owned source server of the local MySQL backend (`<state>/mysql/source`, database
 * `app`): kept running by `vers-db up --engine mysql`, otherwise started on demand and stopped
 * when the last process that used it exits (the same rule as the embedded PostgreSQL).
 */
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { addUser, liveUsers, removeUser } from '../../backends/embedded-users.js';
import { onLeave } from '../../backends/on-demand.js';
import { mountThinVolume } from '../../backends/thin-volume.js';
import { SERVER_SECTION, withFileLock } from '../../state/file-lock.js';
import { ensureStateDir, STATE_FILE_MODE, shareStateDirWithCluster } from '../../state/paths.js';
import { ensureDatabaseSql } from './admin-sql.js';
import { withMysql } from './client.js';
import { makeRoot, serverLayout } from './layout.js';
import { MYSQL_SOURCE_DATABASE, mysqlStateRoot, sourceRoot } from './local-layout.js';
import { serverOsUser } from './os-user.js';
import { type MysqlServer, type ServerStatus, serverStatus, startServer, stopServer } from './server.js';
import { readServerState } from './state.js';

const MODE_FILE = 'source-mode.json';

interface SourceMode {
  /** Started by `vers-db up --engine mysql`: it keeps running after the command. */
  persistent: boolean;
}

export interface SourceOptions {
  persistent?: boolean;
  log?: (message: string) => void;
  env?: NodeJS.ProcessEnv;
}

async function readMode(stateDir: string): Promise<SourceMode> {
  try {
    return JSON.parse(await readFile(join(mysqlStateRoot(stateDir), MODE_FILE), 'utf8')) as SourceMode;
  } catch {
    return { persistent: false };
  }
}

async function writeMode(stateDir: string, mode: SourceMode): Promise<void> {
  await writeFile(join(mysqlStateRoot(stateDir), MODE_FILE), `${JSON.stringify(mode)}\n`, {
    mode: STATE_FILE_MODE,
  });
}

/**
 * Has this state directory ever had a MySQL server? Without its directory there is nothing to
 * stop, and no lock file can be made there (the lock would retry until it gives up, minutes).
 */
async function hasMysqlState(stateDir: string): Promise<boolean> {
  return stat(mysqlStateRoot(stateDir)).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** Starting, joining and leaving the source happen one at a time across processes. */
function withSourceLock<T>(stateDir: string, fn: () => Promise<T>): Promise<T> {
  return withFileLock(mysqlStateRoot(stateDir), 'source.lock', SERVER_SECTION, fn);
}

/**
 * The state directory and the servers' home, made if missing: `<state>/mysql`, or on the state
 * directory's thin volume (mounted first if it is not, after `down` or a reboot). As root,
 * traversable (never listable) by the `mysql` OS user the servers run as (state/paths.ts keeps
 * the state directory so; a volume's mount point is outside it, thin-volume.ts).
 */
export async function prepareMysqlState(stateDir: string, log?: (msg: string) => void): Promise<void> {
  await ensureStateDir(stateDir);
  const thin = await mountThinVolume(stateDir, log ?? (() => undefined));
  const shared = (await serverOsUser()) !== null;
  if (shared && !thin) await shareStateDirWithCluster(stateDir);
  await makeRoot(mysqlStateRoot(stateDir));
  await chmod(mysqlStateRoot(stateDir), shared ? 0o711 : 0o700);
}

/** Sources this process has joined already: while they run, no lock, no start, no checks. */
const joined = new Set<string>();

async function runningSource(stateDir: string): Promise<MysqlServer | null> {
  const root = sourceRoot(stateDir);
  if ((await serverStatus(root)) !== 'running') return null;
  const layout = serverLayout(root);
  const s = await readServerState(layout.stateFile);
  if (!s?.port || !s.pid) return null;
  return {
    layout,
    settings: { host: '127.0.0.1', port: s.port, user: s.user, password: s.password },
    pid: s.pid,
    startedHere: false,
  };
}

/** The source server, running, with its `app` database. */
export async function ensureSource(stateDir: string, options: SourceOptions = {}): Promise<MysqlServer> {
  if (joined.has(stateDir) && !options.persistent) {
    const running = await runningSource(stateDir);
    if (running) return running;
  }
  await prepareMysqlState(stateDir, options.log);
  const server = await withSourceLock(stateDir, async () => {
    const s = await startServer(sourceRoot(stateDir), { log: options.log, env: options.env });
    const mode = await readMode(stateDir);
    if (s.startedHere || (options.persistent && !mode.persistent))
      await writeMode(stateDir, { persistent: Boolean(options.persistent) });
    const persistent = s.startedHere ? Boolean(options.persistent) : mode.persistent || options.persistent;
    if (!persistent) {
      await addUser(mysqlStateRoot(stateDir));
      stopOnExit.add(stateDir);
    } else stopOnExit.delete(stateDir);
    return s;
  });
  await withMysql(server.settings, (c) => c.query(ensureDatabaseSql(MYSQL_SOURCE_DATABASE)));
  joined.add(stateDir);
  if (stopOnExit.size > 0) onLeave(stopOnDemandMysql); // the entry points' exit path runs it
  if (!hooked) {
    hooked = true;
    process.once('beforeExit', () => void stopOnDemandMysql());
  }
  return server;
}

export interface StoppedTimings {
  /** The clean shutdown (with a recovery start and stop first when the server was not up). */
  stopMs: number;
  /** `fn` (the copy). */
  copyMs: number;
  restartMs: number;
}

/**
 * Stop the source cleanly for a checkpoint's copy, run `fn`, and start it again (on the same port
 * when it is free), whatever `fn` did. A source that was not running cleanly (crashed, killed) is
 * started and stopped once first, so InnoDB recovers before its files are copied.
 */
export async function withSourceStopped<T>(
  stateDir: string,
  fn: () => Promise<T>,
  options: SourceOptions = {},
): Promise<{ value: T; timings: StoppedTimings }> {
  const root = sourceRoot(stateDir);
  const start = () => startServer(root, { log: options.log, env: options.env });
  return withSourceLock(stateDir, async () => {
    const t0 = performance.now();
    if ((await stopServer(root)) !== 'clean') {
      await start();
      await stopServer(root);
    }
    const t1 = performance.now();
    let value: T;
    let t2 = t1;
    try {
      value = await fn();
      t2 = performance.now();
    } finally {
      await start();
    }
    return { value, timings: { stopMs: t1 - t0, copyMs: t2 - t1, restartMs: performance.now() - t2 } };
  });
}

export function sourceStatus(stateDir: string): Promise<ServerStatus> {
  return serverStatus(sourceRoot(stateDir));
}

/** `vers-db down --engine mysql`: stop the source (also when `up` started it). */
export async function stopSource(stateDir: string): Promise<'clean' | 'killed' | 'not-running'> {
  if (!(await hasMysqlState(stateDir))) return 'not-running';
  return withSourceLock(stateDir, async () => {
    await writeMode(stateDir, { persistent: false }).catch(() => undefined);
    return stopServer(sourceRoot(stateDir));
  });
}

const stopOnExit = new Set<string>();
let hooked = false;

/** Stop an on-demand source that no live process uses and `up` did not start (gc, after a crash). */
export async function stopSourceIfUnused(stateDir: string): Promise<boolean> {
  if (!(await hasMysqlState(stateDir))) return false;
  return withSourceLock(stateDir, async () => {
    if ((await readMode(stateDir)).persistent) return false;
    if ((await liveUsers(mysqlStateRoot(stateDir))).length > 0) return false;
    return (await stopServer(sourceRoot(stateDir))) !== 'not-running';
  });
}

/**
 * Leave the on-demand sources this process used (entry points call this on exit): each is
 * stopped only when no other live process uses it and `up` did not start it.
 */
export async function stopOnDemandMysql(): Promise<void> {
  const dirs = [...stopOnExit];
  stopOnExit.clear();
  for (const dir of dirs) {
    await withSourceLock(dir, async () => {
      await removeUser(mysqlStateRoot(dir));
      if ((await readMode(dir)).persistent) return;
      if ((await liveUsers(mysqlStateRoot(dir))).length > 0) return;
      await stopServer(sourceRoot(dir));
    }).catch(() => undefined);
  }
}
