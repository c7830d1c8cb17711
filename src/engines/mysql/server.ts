/**
 * A tool-owned MariaDB server: its own data directory, started as its own `mariadbd` on a free
 * port of 127.0.0.1 (and a short unix socket), stopped cleanly, and reaped after a crash of either
 * the server (stale pid file and socket) or of vers-db (a server nobody stops any more).
 */
import { spawn } from 'node:child_process';
import { chown, open, rm, stat, writeFile } from 'node:fs/promises';
import { BackendError, DatabaseError } from '../../errors.js';
import { findMysqlBinaries } from './binaries.js';
import { connectMysql, type MysqlSettings } from './client.js';
import { initialiseDataDir, isInitialised, tail, treeBytes } from './datadir.js';
import { prepareLayout, type ServerLayout, serverLayout } from './layout.js';
import { bufferPoolFor, DEFAULT_REDO_LOG_BYTES, serverArgs } from './options.js';
import { serverOsUser } from './os-user.js';
import { freeTcpPort } from './port.js';
import { isServerOf, pidAlive, readPid, signal, waitForExit } from './process.js';
import { withServerLock } from './server-lock.js';
import { newState, readServerState, type ServerState, toolUserSql, writeServerState } from './state.js';

export interface MysqlServer {
  layout: ServerLayout;
  /** How to connect as the tool user over TCP. */
  settings: MysqlSettings;
  pid: number;
  /** This call started it (false: it was already running). */
  startedHere: boolean;
}

export interface StartOptions {
  /** Default: sized for the data directory (bufferPoolFor). */
  bufferPoolBytes?: number;
  /** Only for a new data directory; an existing one keeps its own. */
  redoLogBytes?: number;
  /** Give up waiting for "ready" after this long. */
  readyTimeoutMs?: number;
  log?: (message: string) => void;
  /** Where to look for the programs (PATH, VERS_DB_MARIADB_BIN); default process.env. */
  env?: NodeJS.ProcessEnv;
}

export type ServerStatus = 'running' | 'stopped' | 'crashed';

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 60_000;
const KILL_WAIT_MS = 10_000;
const READY_POLL_MS = 50;
const PORT_ATTEMPTS = 3;

function settingsOf(s: ServerState, port: number): MysqlSettings {
  return { host: '127.0.0.1', port, user: s.user, password: s.password };
}

/** The pid serving `root` right now, from server.json or the pid file, only if it is that server. */
async function livePid(l: ServerLayout, s: ServerState | null): Promise<number | null> {
  for (const pid of [s?.pid ?? null, await readPid(l.pidFile)]) {
    if (pid !== null && (await isServerOf(pid, l.dataDir))) return pid;
  }
  return null;
}

export async function serverStatus(root: string): Promise<ServerStatus> {
  const l = serverLayout(root);
  const s = await readServerState(l.stateFile);
  if ((await livePid(l, s)) !== null) return 'running';
  const stalePid = s?.pid ?? (await readPid(l.pidFile));
  return stalePid !== null ? 'crashed' : 'stopped';
}

/** Remove what a dead server left behind (pid file, socket, its pid in server.json). */
async function clearStale(l: ServerLayout, s: ServerState | null): Promise<void> {
  await rm(l.pidFile, { force: true });
  await rm(l.socket, { force: true });
  if (s?.pid != null) await writeServerState(l.stateFile, { ...s, pid: null });
}

/** Start the server of `root` (initialising its data directory the first time), or return the running one. */
export function startServer(root: string, options: StartOptions = {}): Promise<MysqlServer> {
  return withServerLock(root, () => startLocked(root, options));
}

async function startLocked(root: string, options: StartOptions): Promise<MysqlServer> {
  const l = serverLayout(root);
  const bin = await findMysqlBinaries(options.env);
  const owner = await serverOsUser();
  await prepareLayout(l, owner);
  let s = await readServerState(l.stateFile);
  const running = await livePid(l, s);
  if (running !== null) {
    if (s?.port) return { layout: l, settings: settingsOf(s, s.port), pid: running, startedHere: false };
    throw new BackendError(
      `a MariaDB server (pid ${running}) runs on ${l.dataDir}, but ${l.stateFile} has no port`,
      {
        hint: `stop it (kill ${running}), then start again`,
      },
    );
  }
  await clearStale(l, s);
  if (!(await isInitialised(l.dataDir))) {
    const t0 = performance.now();
    s = newState(options.redoLogBytes ?? DEFAULT_REDO_LOG_BYTES);
    await initialiseDataDir(l, bin, owner, s.redoLogBytes);
    options.log?.(`initialised ${l.dataDir} in ${Math.round(performance.now() - t0)} ms`);
  }
  if (!s) throw new BackendError(`${l.stateFile} is missing: ${l.dataDir} was not made by vers-db`);
  await writeServerState(l.stateFile, s);
  const state = s;
  const bufferPoolBytes = options.bufferPoolBytes ?? bufferPoolFor(await treeBytes(l.dataDir));
  for (let attempt = 1; ; attempt++) {
    const port = await freeTcpPort(attempt === 1 ? state.port : null);
    if (!state.userCreated) {
      await writeFile(l.initFile, toolUserSql(state), { mode: 0o600 });
      if (owner) await chown(l.initFile, owner.uid, owner.gid);
    }
    try {
      const pid = await launch(l, bin.server, state, { port, bufferPoolBytes }, owner, options);
      const started = { ...state, port, pid, userCreated: true };
      await writeServerState(l.stateFile, started);
      return { layout: l, settings: settingsOf(started, port), pid, startedHere: true };
    } catch (err) {
      if (!(err instanceof PortTakenError) || attempt >= PORT_ATTEMPTS) throw err;
      options.log?.(`port ${port} was taken before the server bound it; trying another`);
    } finally {
      await rm(l.initFile, { force: true });
    }
  }
}

class PortTakenError extends Error {}

async function launch(
  l: ServerLayout,
  server: string,
  s: ServerState,
  settings: { port: number; bufferPoolBytes: number },
  owner: Awaited<ReturnType<typeof serverOsUser>>,
  options: StartOptions,
): Promise<number> {
  const logStart = await stat(l.errorLog).then(
    (st) => st.size,
    () => 0,
  );
  const args = serverArgs(l, { ...settings, redoLogBytes: s.redoLogBytes }, owner);
  if (!s.userCreated) args.push(`--init-file=${l.initFile}`);
  // Detached: a server started by `up` outlives this process; stop/reap end it by pid.
  const child = spawn(server, args, { detached: true, stdio: 'ignore' });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new BackendError(`cannot start ${server}: ${(await spawnError).message}`);
  await writeServerState(l.stateFile, { ...s, pid, port: settings.port });
  const t0 = performance.now();
  const timeoutMs = options.readyTimeoutMs ?? READY_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!(await pidAlive(pid))) {
      const log = await newLog(l.errorLog, logStart);
      await clearStale(l, { ...s, pid });
      if (/Address already in use|Do you already have another/i.test(log)) throw new PortTakenError();
      throw new BackendError(`the MariaDB server for ${l.dataDir} exited while starting`, {
        hint: `its error log (${l.errorLog}) says:\n${tail(log, 8)}`,
      });
    }
    const ready = await acceptsConnections(settingsOf(s, settings.port));
    if (ready === true) break;
    if (ready === 'refused-login') {
      // Up, but the tool user does not work: waiting longer would not change that.
      await stopPid(pid);
      await clearStale(l, { ...s, pid });
      throw new BackendError(`the MariaDB server for ${l.dataDir} refuses vers-db's user ${s.user}`, {
        hint: `${l.stateFile} and the data directory do not belong together; its error log: ${l.errorLog}`,
      });
    }
    if (Date.now() >= deadline) {
      await stopPid(pid);
      await clearStale(l, { ...s, pid });
      throw new BackendError(`the MariaDB server for ${l.dataDir} was not ready after ${timeoutMs} ms`, {
        hint: `see its error log: ${l.errorLog}`,
      });
    }
    await new Promise((r) => setTimeout(r, READY_POLL_MS));
  }
  options.log?.(`mariadbd ready on 127.0.0.1:${settings.port} in ${Math.round(performance.now() - t0)} ms`);
  return pid;
}

/** true when the tool user can log in; 'refused-login' when the server answers but refuses it. */
async function acceptsConnections(settings: MysqlSettings): Promise<boolean | 'refused-login'> {
  try {
    const c = await connectMysql(settings, { connectTimeoutMs: 1000 });
    await c.end();
    return true;
  } catch (err) {
    return err instanceof DatabaseError && err.code === 'ER_ACCESS_DENIED_ERROR' ? 'refused-login' : false;
  }
}

/** What the error log gained since `from` bytes. */
async function newLog(file: string, from: number): Promise<string> {
  const fh = await open(file, 'r').catch(() => null);
  if (!fh) return '';
  try {
    const size = (await fh.stat()).size;
    const buf = Buffer.alloc(Math.max(0, size - from));
    await fh.read(buf, 0, buf.length, from);
    return buf.toString('utf8');
  } finally {
    await fh.close();
  }
}

/** SIGTERM is mariadbd's normal shutdown; SIGKILL only if it has not finished in time. */
async function stopPid(pid: number, timeoutMs = STOP_TIMEOUT_MS): Promise<'clean' | 'killed'> {
  signal(pid, 'SIGTERM');
  if (await waitForExit(pid, timeoutMs)) return 'clean';
  signal(pid, 'SIGKILL');
  if (await waitForExit(pid, KILL_WAIT_MS)) return 'killed';
  throw new BackendError(`the MariaDB server (pid ${pid}) did not exit after SIGKILL`);
}

/**
 * Stop the server of `root` and wait for its process to be gone. A clean stop leaves a data
 * directory that can be copied; `killed` means it had to be killed (InnoDB recovers at next start).
 */
export function stopServer(
  root: string,
  options: { timeoutMs?: number } = {},
): Promise<'clean' | 'killed' | 'not-running'> {
  return withServerLock(root, () => stopLocked(root, options));
}

async function stopLocked(
  root: string,
  options: { timeoutMs?: number } = {},
): Promise<'clean' | 'killed' | 'not-running'> {
  const l = serverLayout(root);
  const s = await readServerState(l.stateFile);
  const pid = await livePid(l, s);
  const outcome = pid === null ? 'not-running' : await stopPid(pid, options.timeoutMs);
  await clearStale(l, s);
  return outcome;
}

/**
 * After a crash: a server still running that nobody will stop (vers-db died) is stopped; a server
 * that died leaves its pid file and socket, which are removed. Returns what was found. The caller
 * decides that no live process uses the server (the registry's owner rules).
 */
export function reapServer(root: string): Promise<'stopped' | 'cleared' | 'nothing'> {
  return withServerLock(root, () => reapLocked(root));
}

/** reapServer for a caller that holds the server's lock already. */
export async function reapLocked(root: string): Promise<'stopped' | 'cleared' | 'nothing'> {
  const status = await serverStatus(root);
  if (status === 'running') {
    await stopLocked(root);
    return 'stopped';
  }
  const l = serverLayout(root);
  await clearStale(l, await readServerState(l.stateFile));
  return status === 'crashed' ? 'cleared' : 'nothing';
}
