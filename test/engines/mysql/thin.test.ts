/**
 * `vers-db up --thin --engine mysql`: the MySQL engine's servers moved onto the state directory's
 * loopback XFS volume, so a checkpoint and its branches are reflinked data directories that share
 * blocks; `down` stops every server and unmounts. Needs Linux, root, loop devices, mkfs.xfs and
 * MariaDB; skipped with a message otherwise.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, rm, statfs, writeFile } from 'node:fs/promises';
import { platform, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { destroyThinVolume, isMounted } from '../../../src/backends/thin-volume.js';
import { settingsFromUrl, withMysql } from '../../../src/engines/mysql/client.js';
import { treeBytes } from '../../../src/engines/mysql/datadir.js';
import { serverLayout } from '../../../src/engines/mysql/layout.js';
import { mysqlStateRoot, plainMysqlRoot } from '../../../src/engines/mysql/local-layout.js';
import { pidAlive } from '../../../src/engines/mysql/process.js';
import { readServerState } from '../../../src/engines/mysql/state.js';
import { cli } from '../../helpers/cli.js';
import { mariadbAvailable } from '../../helpers/mariadb.js';

function hasMkfsXfs(): boolean {
  try {
    execFileSync('mkfs.xfs', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const canThin =
  platform() === 'linux' && userInfo().uid === 0 && existsSync('/dev/loop-control') && hasMkfsXfs();
if (!canThin || !mariadbAvailable)
  console.error(
    'skipping the MySQL thin-volume test: it needs Linux, root, loop devices, mkfs.xfs (xfsprogs) and MariaDB',
  );

/** ~400 MB of rows (1 KB each): the servers' own start-up files (ibtmp1, logs) stay far below 10 % of it. */
const ROWS = 400_000;
const LOAD_SQL = [
  'CREATE TABLE big (id INT PRIMARY KEY, pad VARCHAR(1000)) ENGINE=InnoDB',
  `INSERT INTO big SELECT seq, REPEAT(MD5(seq), 30) FROM seq_1_to_${ROWS}`,
];

async function usedBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return (s.blocks - s.bfree) * s.bsize;
}

async function serverPids(home: string): Promise<number[]> {
  const roots = [join(home, 'source')];
  for (const kind of ['ckpt', 'branch', 'work'])
    for (const n of await readdir(join(home, kind)).catch(() => [] as string[]))
      roots.push(join(home, kind, n));
  const pids: number[] = [];
  for (const r of roots) {
    const pid = (await readServerState(serverLayout(r).stateFile))?.pid;
    if (pid) pids.push(pid);
  }
  return pids;
}

describe.skipIf(!canThin || !mariadbAvailable)('vers-db up --thin --engine mysql', () => {
  let dir: string;
  let env: Record<string, string>;
  const home = () => join(dir, '.vers-db');

  afterAll(async () => {
    if (!dir) return;
    await cli(['down', '--engine', 'mysql'], env, dir);
    await destroyThinVolume(home());
    await rm(dir, { recursive: true, force: true });
  });

  it('moves the servers onto the volume; a checkpoint and 3 branches are reflinked; down unmounts', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vdb-my-thin-'));
    await chmod(dir, 0o755);
    env = { VERS_DB_HOME: home(), VERS_DB_ENGINE: 'mysql' };
    const json = (r: { stdout: string }) => JSON.parse(r.stdout);

    // Servers on the machine's own filesystem first (ext4 or overlay here: full copies).
    const up = await cli(['up'], env, dir);
    expect(up.exitCode, up.stderr).toBe(0);
    const url = /^DATABASE_URL=(\S+)$/m.exec(up.stdout)![1]!;
    await withMysql(settingsFromUrl(url), async (c) => {
      for (const sql of LOAD_SQL) await c.query(sql);
    });
    const plain = json(await cli(['status', '--json'], env, dir));
    expect(plain.branch_copies.reflinks).toBe(false);
    expect(plain.thin_volume).toBeNull();

    const thinUp = await cli(['up', '--thin', '4G'], env, dir);
    expect(thinUp.exitCode, thinUp.stderr).toBe(0);
    expect(thinUp.stderr).toMatch(/already holds MySQL servers .* moving them onto the thin volume/);
    expect(existsSync(plainMysqlRoot(home()))).toBe(false);
    const servers = mysqlStateRoot(home());
    const status = json(await cli(['status', '--json'], env, dir));
    const mnt: string = status.thin_volume.mount_point;
    expect(servers).toBe(join(mnt, 'mysql'));
    expect(await isMounted(mnt)).toBe(true);
    expect(status.source_server).toMatchObject({
      status: 'running',
      data_dir: join(servers, 'source', 'data'),
    });
    expect(status.branch_copies.reflinks).toBe(true);
    const doctor = await cli(['doctor'], env, dir);
    expect(doctor.stdout).toMatch(/^ok\s+MySQL copies\s+reflinked: on the thin volume/m);
    // The server checks are MariaDB's own (a PostgreSQL client against it used to fail doctor).
    expect(doctor.stdout).toMatch(/^ok\s+MySQL\/MariaDB\s+10\.\d+\.\d+-MariaDB\S* at mysql:\/\//m);
    expect(doctor.stdout).toMatch(/^ok\s+lock holders\s+performance_schema/m);
    expect(doctor.stdout).not.toMatch(/^FAIL/m);
    expect(doctor.exitCode).toBe(0);

    // The moved data is served from the volume.
    const movedUrl = /^DATABASE_URL=(\S+)$/m.exec(thinUp.stdout)![1]!;
    const rows = await withMysql(settingsFromUrl(movedUrl), async (c) =>
      Number(((await c.query('SELECT COUNT(*) AS n FROM big'))[0] as { n: number }[])[0]!.n),
    );
    expect(rows).toBe(ROWS);

    const migrations = await Promise.all(
      ['a', 'b', 'c'].map(async (n) => {
        const f = join(dir, `${n}.sql`);
        await writeFile(f, `CREATE TABLE t_${n} (id INT PRIMARY KEY);\n`);
        return f;
      }),
    );
    const before = await usedBytes(mnt);
    const ckpt = await cli(['checkpoint', 'ck'], env, dir);
    expect(ckpt.exitCode, ckpt.stderr).toBe(0);
    expect(ckpt.stderr).toMatch(/checkpoint ck: .* files \(\d+ MB\) reflinked in/);
    const test = await cli(['test', 'ck', ...migrations, '--keep-branch', '--json'], env, dir);
    expect(test.exitCode, test.stderr).toBe(0);
    const branchCopies =
      test.stderr.match(/branch \S+: \d+ files \(\d+ MB\) (reflinked|copied[^\n]*)/g) ?? [];
    // The three branches, and the after-run check's own branch of the checkpoint.
    expect(branchCopies.length, test.stderr).toBeGreaterThanOrEqual(3);
    for (const line of branchCopies) expect(line).toMatch(/reflinked$/);
    const grown = (await usedBytes(mnt)) - before;
    const oneCopy = await treeBytes(join(servers, 'ckpt', 'ck', 'data'));
    process.stderr.write(
      `mysql thin volume: one copy ${oneCopy} bytes; checkpoint + 3 running branches grew the volume by ${grown} bytes\n`,
    );
    expect(oneCopy).toBeGreaterThan(300 * 2 ** 20);
    expect(grown, `volume grew ${grown} bytes for a checkpoint and 3 branches of ${oneCopy}`).toBeLessThan(
      oneCopy * 0.1,
    );

    // down stops every server (the source and the three branches) and unmounts the volume.
    const pids = await serverPids(servers);
    expect(pids.length).toBeGreaterThanOrEqual(4);
    const down = await cli(['down'], env, dir);
    expect(down.exitCode, down.stderr).toBe(0);
    expect(down.stderr).toMatch(/thin volume unmounted/);
    expect(await isMounted(mnt)).toBe(false);
    for (const pid of pids) expect(await pidAlive(pid), `mariadbd ${pid}`).toBe(false);
    expect((await cli(['status'], env, dir)).stdout).toMatch(/branch copies:\s+unknown/);

    // Using a kept branch mounts the volume again and serves it.
    const branches = json(await cli(['branches', '--json'], env, dir));
    expect(branches.branches).toHaveLength(3);
    const again = await cli(['up'], env, dir);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(await isMounted(mnt)).toBe(true);
  }, 900_000);
});

describe.skipIf(!mariadbAvailable)('vers-db up --thin (PostgreSQL) beside MySQL servers', () => {
  it('refuses to strand MySQL servers in the state directory, naming the command that moves them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vdb-my-strand-'));
    await chmod(dir, 0o755);
    const env = { VERS_DB_HOME: join(dir, '.vers-db') };
    try {
      expect((await cli(['up', '--engine', 'mysql'], env, dir)).exitCode).toBe(0);
      const r = await cli(['up', '--thin', '1G'], env, dir);
      expect(r.exitCode, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/MySQL servers in .* a thin volume would leave behind/);
      expect(r.stderr).toMatch(/vers-db up --thin --engine mysql/);
      expect(existsSync(join(env.VERS_DB_HOME, 'thin.json'))).toBe(false);
    } finally {
      await cli(['down', '--engine', 'mysql'], env, dir);
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
