/**
 * The PostgreSQL servers the benchmark runs on, both started here in a private directory and
 * stopped at the end (or on Ctrl-C): the embedded PostgreSQL 18 that vers-db uses by default, and
 * a Debian PostgreSQL 15 cluster, because the only pg_dump/pg_restore on this machine are 15 and
 * pg_dump refuses to dump a newer server.
 */
import { access, chown, mkdir } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { ensureEmbedded, freePort, stopEmbedded } from '../../src/backends/embedded.js';
import { configFromUrl, withClient } from '../../src/util/pg.js';
import { log } from './log.js';

export interface BenchServer {
  /** Short label used in the tables, e.g. "PG18 embedded". */
  label: string;
  /** SELECT version(), shortened. */
  version: string;
  /** postgres:// URL of the `postgres` database. */
  url: string;
  dataDir: string;
  /** Directory holding pg_dump/pg_restore/psql matching this server, when there are any. */
  clientBin: string | null;
  stop(): Promise<void>;
}

export const DEBIAN_PG15_BIN = '/usr/lib/postgresql/15/bin';

/** Settings shared by both servers, the same as the embedded default's (src/backends/embedded.ts). */
const SERVER_SETTINGS = ['-c max_connections=200', '-c shared_buffers=256MB', '-c max_wal_size=4GB'];

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function serverVersion(url: string): Promise<string> {
  return withClient(configFromUrl(url, 'postgres'), async (c) => {
    const v = (await c.query<{ v: string }>('SELECT version() AS v')).rows[0]!.v;
    return v.replace(/ on .*$/, '').replace(/ \(.*$/, '');
  });
}

export async function startEmbedded18(benchDir: string): Promise<BenchServer> {
  const stateDir = join(benchDir, 'state-pg18');
  const server = await ensureEmbedded(stateDir, { log });
  return {
    label: 'PG18 embedded',
    version: await serverVersion(server.url),
    url: server.url,
    dataDir: server.state.dataDir,
    clientBin: null,
    stop: async () => {
      await stopEmbedded(stateDir);
    },
  };
}

/** As root, PostgreSQL must run as the `postgres` OS user. */
async function postgresIds(): Promise<{ uid: number; gid: number } | null> {
  if (userInfo().uid !== 0) return null;
  const uid = Number((await execa('id', ['-u', 'postgres'])).stdout);
  const gid = Number((await execa('id', ['-g', 'postgres'])).stdout);
  return { uid, gid };
}

/**
 * Make sure the Debian PostgreSQL 15 server binaries exist; install them with apt-get when
 * running as root. Returns why not when they cannot be had.
 */
export async function ensurePg15Binaries(): Promise<
  { ok: true; installed: boolean } | { ok: false; reason: string }
> {
  if (await exists(join(DEBIAN_PG15_BIN, 'pg_ctl'))) return { ok: true, installed: false };
  if (userInfo().uid !== 0) {
    return {
      ok: false,
      reason: `${DEBIAN_PG15_BIN} is missing and not running as root (apt-get install postgresql-15)`,
    };
  }
  log('PostgreSQL 15 server binaries are missing: installing the Debian package postgresql-15 with apt-get');
  const r = await execa('apt-get', ['install', '-y', '--no-install-recommends', 'postgresql-15'], {
    reject: false,
    env: { DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.exitCode !== 0 || !(await exists(join(DEBIAN_PG15_BIN, 'pg_ctl')))) {
    return {
      ok: false,
      reason: `apt-get install postgresql-15 failed: ${String(r.stderr).split('\n').slice(-2).join(' ')}`,
    };
  }
  return { ok: true, installed: true };
}

export async function startDebian15(benchDir: string): Promise<BenchServer> {
  const ids = await postgresIds();
  const dataDir = join(benchDir, 'pg15');
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (ids) await chown(dataDir, ids.uid, ids.gid);
  const asPostgres = { ...(ids ?? {}), env: { LC_MESSAGES: 'C' } };
  // A throwaway cluster on 127.0.0.1 only: trust authentication keeps the URL password-free.
  await execa(
    join(DEBIAN_PG15_BIN, 'initdb'),
    [`--pgdata=${dataDir}`, '--auth=trust', '--username=postgres', '--encoding=UTF8', '--locale=C.UTF-8'],
    asPostgres,
  );
  const port = await freePort(54415);
  const options = [
    `-p ${port}`,
    "-c listen_addresses='127.0.0.1'",
    `-c unix_socket_directories='${dataDir}'`,
    ...SERVER_SETTINGS,
  ];
  const pgCtl = join(DEBIAN_PG15_BIN, 'pg_ctl');
  await execa(
    pgCtl,
    ['start', '-w', '-t', '60', '-D', dataDir, '-l', join(dataDir, 'server.log'), '-o', options.join(' ')],
    asPostgres,
  );
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    label: 'PG15 Debian',
    version: await serverVersion(url),
    url,
    dataDir,
    clientBin: DEBIAN_PG15_BIN,
    stop: async () => {
      await execa(pgCtl, ['stop', '-m', 'fast', '-w', '-D', dataDir], { ...asPostgres, reject: false });
    },
  };
}
