/**
 * A tool-owned MariaDB server, for real: initialise, start, stop, copy to a branch served on its
 * own port, crash and reap. One source server for the file; every test checks that no server
 * process outlives it.
 */
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  findMysqlBinaries,
  mysqlServerAvailable,
  serverVersion,
} from '../../../src/engines/mysql/binaries.js';
import { branchServer, copyServer, destroyServer } from '../../../src/engines/mysql/branch.js';
import { withMysql } from '../../../src/engines/mysql/client.js';
import { pidAlive } from '../../../src/engines/mysql/process.js';
import {
  type MysqlServer,
  reapServer,
  serverStatus,
  startServer,
  stopServer,
} from '../../../src/engines/mysql/server.js';
import { BackendError } from '../../../src/errors.js';

const available = await mysqlServerAvailable();
if (!available)
  console.error('skipping MariaDB server tests: mariadbd is not installed (apt-get install mariadb-server)');

const log = (m: string) => console.error(`[mariadb] ${m}`);
const ms = (t0: number) => Math.round(performance.now() - t0);

describe.skipIf(!available)('tool-owned MariaDB server', () => {
  let dir: string;
  let source: string;
  const pids = new Set<number>();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vdb-my-'));
    await chmod(dir, 0o755); // the mysql OS user (tests run as root in CI) must enter it
    source = join(dir, 'src');
  });

  afterAll(async () => {
    for (const root of [source, join(dir, 'b1'), join(dir, 'ck')])
      await stopServer(root).catch(() => undefined);
    for (const pid of pids) expect(await pidAlive(pid)).toBe(false);
    await rm(dir, { recursive: true, force: true });
  });

  async function start(root: string): Promise<MysqlServer> {
    const t0 = performance.now();
    const server = await startServer(root, { log });
    pids.add(server.pid);
    log(`start ${root}: ${ms(t0)} ms`);
    return server;
  }

  it('initialises and starts its own server with performance_schema and the MDL instrument', async () => {
    log(`version ${await serverVersion(await findMysqlBinaries())}`);
    const server = await start(source);
    expect(server.startedHere).toBe(true);
    expect(await serverStatus(source)).toBe('running');
    await withMysql(server.settings, async (c) => {
      const [rows] = await c.query<import('mysql2').RowDataPacket[]>(
        `SELECT @@performance_schema AS ps, @@bind_address AS bind, @@port AS port, @@innodb_buffer_pool_size AS pool,
                (SELECT enabled FROM performance_schema.setup_instruments WHERE name = 'wait/lock/metadata/sql/mdl') AS mdl,
                CURRENT_USER() AS me`,
      );
      expect(rows[0]).toMatchObject({ bind: '127.0.0.1', mdl: 'YES' });
      expect(Number(rows[0]?.ps)).toBe(1);
      expect(Number(rows[0]?.port)).toBe(server.settings.port);
      expect(Number(rows[0]?.pool)).toBeGreaterThanOrEqual(32 * 1024 * 1024);
      expect(rows[0]?.me).toBe('versdb@127.0.0.1');
      await c.query('CREATE DATABASE app');
      await c.query('CREATE TABLE app.t (id INT PRIMARY KEY, v VARCHAR(20))');
      await c.query("INSERT INTO app.t VALUES (1, 'one'), (2, 'two')");
    });
    // A second call finds it running and does not start another.
    const again = await startServer(source);
    expect(again).toMatchObject({ startedHere: false, pid: server.pid });
  });

  it('refuses the tool user without its password and root over TCP', async () => {
    const s = (await startServer(source)).settings;
    await expect(withMysql({ ...s, password: 'wrong' }, async () => 1)).rejects.toThrow(/Access denied/);
    await expect(withMysql({ ...s, user: 'root', password: '' }, async () => 1)).rejects.toThrow(
      /Access denied/,
    );
  });

  it('stops cleanly and the process is gone; restarts with the data', async () => {
    const { pid } = await startServer(source);
    let t0 = performance.now();
    expect(await stopServer(source)).toBe('clean');
    log(`stop: ${ms(t0)} ms`);
    expect(await pidAlive(pid)).toBe(false);
    expect(await serverStatus(source)).toBe('stopped');
    t0 = performance.now();
    // Two callers at once: one starts it, the other finds it running.
    const [server, other] = await Promise.all([start(source), startServer(source)]);
    log(`restart: ${ms(t0)} ms`);
    expect(other.pid).toBe(server.pid);
    expect([server.startedHere, other.startedHere].sort()).toEqual([false, true]);
    await withMysql(server.settings, async (c) => {
      const [rows] = await c.query<import('mysql2').RowDataPacket[]>('SELECT COUNT(*) AS n FROM app.t');
      expect(Number(rows[0]?.n)).toBe(2);
    });
    await stopServer(source);
  });

  it('branches: a copy of the stopped server, served on its own port, independent of the source', async () => {
    expect(await serverStatus(source)).toBe('stopped');
    const t0 = performance.now();
    const b = await branchServer(source, join(dir, 'b1'), { log });
    pids.add(b.server.pid);
    log(
      `branch: copy ${b.copy.elapsedMs} ms (${b.copy.files} files, ${b.copy.bytes} bytes), start ${b.startMs} ms, total ${ms(t0)} ms`,
    );
    const src = await start(source);
    expect(b.server.settings.port).not.toBe(src.settings.port);
    await withMysql(b.server.settings, (c) => c.query("UPDATE app.t SET v = 'changed' WHERE id = 1"));
    const read = async (s: MysqlServer) =>
      withMysql(s.settings, async (c) => {
        const [rows] = await c.query<import('mysql2').RowDataPacket[]>('SELECT v FROM app.t WHERE id = 1');
        return rows[0]?.v;
      });
    expect(await read(b.server)).toBe('changed');
    expect(await read(src)).toBe('one');
    // A running server is never copied: the files would not be consistent.
    await expect(copyServer(source, join(dir, 'ck'))).rejects.toThrow(/running/);
    expect(await stopServer(join(dir, 'b1'))).toBe('clean');
    expect(await pidAlive(b.server.pid)).toBe(false);
  });

  it('reaps after a crash of the server (stale pid file) and of vers-db (an orphan server)', async () => {
    const { pid } = await startServer(source);
    process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    expect(await pidAlive(pid)).toBe(false);
    expect(await serverStatus(source)).toBe('crashed');
    await expect(copyServer(source, join(dir, 'ck'))).rejects.toThrow(/did not shut down cleanly/);
    expect(await reapServer(source)).toBe('cleared');
    expect(await serverStatus(source)).toBe('stopped');
    // InnoDB recovers; the data is there.
    const server = await start(source);
    await withMysql(server.settings, async (c) => {
      const [rows] = await c.query<import('mysql2').RowDataPacket[]>('SELECT COUNT(*) AS n FROM app.t');
      expect(Number(rows[0]?.n)).toBe(2);
    });
    // Nobody stops it any more: reap stops it.
    expect(await reapServer(source)).toBe('stopped');
    expect(await pidAlive(server.pid)).toBe(false);
    expect(await reapServer(source)).toBe('nothing');
  });

  it('reaps the server of a vers-db process that was killed (the server outlives it, detached)', async () => {
    expect(await serverStatus(source)).toBe('stopped');
    const repo = resolve(import.meta.dirname, '../../..');
    const script = `
      const { startServer } = await import(${JSON.stringify(pathToFileURL(join(repo, 'src/engines/mysql/server.ts')).href)});
      const s = await startServer(${JSON.stringify(source)});
      console.log(JSON.stringify({ pid: s.pid }));
      setInterval(() => {}, 1000);`;
    const child = execa(
      process.execPath,
      [
        '--import',
        pathToFileURL(join(repo, 'node_modules/tsx/dist/loader.mjs')).href,
        '--input-type=module',
        '-e',
        script,
      ],
      { reject: false },
    );
    const pid = await new Promise<number>((resolvePid, reject) => {
      child.stdout?.on('data', (d: Buffer) => {
        const m = /"pid":(\d+)/.exec(String(d));
        if (m) resolvePid(Number(m[1]));
      });
      child.on('exit', () => reject(new Error('the child exited before starting the server')));
    });
    pids.add(pid);
    child.kill('SIGKILL');
    await child;
    expect(await pidAlive(pid)).toBe(true);
    expect(await serverStatus(source)).toBe('running');
    expect(await reapServer(source)).toBe('stopped');
    expect(await pidAlive(pid)).toBe(false);
  });

  it('serves a branch in a deep directory through a short socket path, and destroys it', async () => {
    const deep = join(
      dir,
      'a-rather-long-directory-name-for-a-branch',
      'and-another-level-below-it',
      'branch',
    );
    expect(await serverStatus(source)).toBe('stopped');
    const b = await branchServer(source, deep);
    pids.add(b.server.pid);
    expect(b.server.layout.socket.startsWith('/tmp/vers-db-my-')).toBe(true);
    expect((await stat(b.server.layout.socket)).isSocket()).toBe(true);
    await destroyServer(deep);
    expect(await pidAlive(b.server.pid)).toBe(false);
    await expect(stat(deep)).rejects.toThrow(/ENOENT/);
    await expect(stat(dirname(b.server.layout.socket))).rejects.toThrow(/ENOENT/);
  });

  it.skipIf(userInfo().uid !== 0)('says so when the mysql OS user cannot enter the directory', async () => {
    const closed = join(dir, 'closed');
    await mkdir(closed, { mode: 0o700 });
    const err = await startServer(join(closed, 's')).catch((e) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err.message).toMatch(/OS user mysql, which cannot enter/);
  });

  it('fails at once, and stops the server, when the data directory refuses the tool user', async () => {
    expect(await serverStatus(source)).toBe('stopped');
    const file = join(source, 'server.json');
    const good = await readFile(file, 'utf8');
    await writeFile(file, good.replace(/"password": "[0-9a-f]+"/, '"password": "0000"'));
    try {
      const t0 = performance.now();
      const err = await startServer(source).catch((e) => e);
      expect(err).toBeInstanceOf(BackendError);
      expect(err.message).toMatch(/refuses vers-db's user versdb/);
      expect(performance.now() - t0).toBeLessThan(30_000);
      expect(await serverStatus(source)).toBe('stopped');
    } finally {
      await writeFile(file, good);
    }
  });

  it('says what to install when the programs are missing', async () => {
    const empty = join(dir, 'no-bin');
    const err = await startServer(join(dir, 'none'), { env: { VERS_DB_MARIADB_BIN: empty } }).catch((e) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err.message).toMatch(/mariadbd and mariadb-install-db\) are not installed/);
    expect(err.hint).toMatch(/apt-get install mariadb-server/);
  });
});
