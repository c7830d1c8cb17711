/**
 * `vers-db up --thin`: a loopback XFS volume with reflinks under the state directory, the
 * embedded cluster moved onto it, and branches that are constant-time clones sharing blocks.
 * Needs Linux, root, loop devices and mkfs.xfs: CI runs as root and .ci/run installs xfsprogs,
 * so there it must run; elsewhere it is skipped when the machine cannot make the volume.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, statfs, writeFile } from 'node:fs/promises';
import { platform, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { destroyThinVolume, isMounted } from '../src/backends/thin-volume.js';
import { configFromUrl, withClient } from '../src/util/pg.js';
import { cli } from './helpers/cli.js';

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

/**
 * ~1 GB in one table (rows of ~1 KB, stored inline) and its primary key. At 500 MB a plain copy on
 * a quiet machine (page cache, fast flushes) takes ~400 ms against ~40 ms for a clone: too close to
 * 10× to assert; a copy grows with the size and a clone does not.
 */
const LOAD_SQL = [
  'CREATE TABLE big AS SELECT g AS id, repeat(md5(g::text), 30) AS pad FROM generate_series(1, 1000000) g',
  'ALTER TABLE big ADD PRIMARY KEY (id)',
  'VACUUM ANALYZE big',
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function usedBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return (s.blocks - s.bfree) * s.bsize;
}

describe.skipIf(!canThin && process.env.CI !== 'true')('vers-db up --thin', () => {
  let dir: string;
  let env: Record<string, string>;
  const stateDir = () => join(dir, '.vers-db');

  afterAll(async () => {
    if (!dir) return;
    await cli(['down'], env, dir);
    await destroyThinVolume(stateDir());
    await rm(dir, { recursive: true, force: true });
  });

  it('moves a loaded cluster onto the volume; branches there are ≥ 10× faster than on ext4 and share blocks', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vers-db-thin-'));
    await chmod(dir, 0o755);
    env = { VERS_DB_HOME: stateDir() };
    const json = (r: { stdout: string }) => JSON.parse(r.stdout);

    // A plain state directory on the machine's own filesystem (ext4 or overlay here).
    const up = await cli(['up'], env, dir);
    expect(up.exitCode, up.stderr).toBe(0);
    const url = /^DATABASE_URL=(\S+)$/m.exec(up.stdout)![1]!;
    await withClient(configFromUrl(url), async (c) => {
      for (const sql of LOAD_SQL) await c.query(sql);
    });
    const size = await withClient(configFromUrl(url), async (c) =>
      Number((await c.query("SELECT pg_database_size('app') AS s")).rows[0].s),
    );
    expect(size).toBeGreaterThan(900 * 2 ** 20);
    const plainDoctor = await cli(['doctor'], env, dir);
    expect(plainDoctor.stdout).toMatch(/^warn\s+branches\s+copy: no reflinks on (ext4|overlay) at /m);

    const migrations = await Promise.all(
      ['a', 'b', 'c'].map(async (n) => {
        const f = join(dir, `${n}.sql`);
        await writeFile(f, `CREATE TABLE t_${n} (id int);\n`);
        return f;
      }),
    );
    expect((await cli(['checkpoint', 'plain'], env, dir)).exitCode).toBe(0);
    const plain = await cli(['test', 'plain', ...migrations, '--json'], env, dir);
    expect(plain.exitCode, plain.stderr).toBe(0);
    const plainMs = json(plain).results.map((r: { branch_ms: number }) => r.branch_ms) as number[];
    // Less to move onto the volume: the plain checkpoint is not needed there.
    expect((await cli(['delete', 'plain', '--checkpoint'], env, dir)).exitCode).toBe(0);

    // --thin on a state directory that holds a cluster: it says so and moves it. A branch's
    // fsyncs (one per file, hundreds per database) are most of a clone's time: thin setups skip them.
    const thinUp = await cli(['up', '--thin', '6G', '--no-fsync'], env, dir);
    expect(thinUp.exitCode, thinUp.stderr).toBe(0);
    expect(thinUp.stderr).toMatch(/already holds a cluster .* moving it onto the thin volume/);
    const status = json(await cli(['status', '--json'], env, dir));
    const mnt: string = status.thin_volume.mount_point;
    expect(await isMounted(mnt)).toBe(true);
    expect(execFileSync('findmnt', ['-no', 'FSTYPE', mnt], { encoding: 'utf8' }).trim()).toBe('xfs');
    const thinDoctor = await cli(['doctor'], env, dir);
    expect(thinDoctor.stdout).toMatch(/^ok\s+branches\s+thin: reflinks on xfs at .*\(fsync off\)$/m);
    expect(status.branching.mode).toBe('thin');
    expect(status.thin_volume).toMatchObject({ mounted: true, mount_point: mnt });

    expect((await cli(['checkpoint', 'thin'], env, dir)).exitCode).toBe(0);
    const before = await usedBytes(mnt);
    const thin = await cli(['test', 'thin', ...migrations, '--keep-branch', '--json'], env, dir);
    expect(thin.exitCode, thin.stderr).toBe(0);
    const thinMs = json(thin).results.map((r: { branch_ms: number }) => r.branch_ms) as number[];
    const grown = (await usedBytes(mnt)) - before;

    // On record in the test log: the numbers bench/RESULTS.md quotes.
    process.stderr.write(
      `thin-volume: ${size} bytes, branch_ms plain ${plainMs.join(', ')} vs thin ${thinMs.join(', ')}, volume grew ${grown} bytes\n`,
    );
    // Three kept branches of a 1 GB database: copies would take 3 GB; clones share blocks.
    expect(grown, `volume grew ${grown} bytes for 3 branches of ${size}`).toBeLessThan(size * 0.1);
    expect(
      median(plainMs) / median(thinMs),
      `branch_ms plain ${plainMs.join(', ')} vs thin ${thinMs.join(', ')}`,
    ).toBeGreaterThanOrEqual(10);

    // down stops the server and unmounts; up mounts it again, with the kept branches intact.
    const down = await cli(['down'], env, dir);
    expect(down.exitCode).toBe(0);
    expect(await isMounted(mnt)).toBe(false);
    expect((await cli(['status'], env, dir)).stdout).toMatch(/thin volume: .* not mounted/);
    const again = await cli(['up'], env, dir);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(await isMounted(mnt)).toBe(true);
    const branches = json(await cli(['branches', '--json'], env, dir));
    expect(branches.branches).toHaveLength(3);
  }, 900_000);
});
