/**
 * `vers-db up --thin`: a loopback XFS volume with reflinks for machines whose filesystem has none
 * (ext4 CI runners). The image is a sparse file in the state directory, mounted with
 * `mount -o loop`; the embedded cluster lives on it, so PostgreSQL 18's file_copy_method=clone
 * makes a branch in constant time and branches share blocks with their checkpoint.
 * Mounting needs root (or passwordless sudo); every refusal says why and what to run instead.
 */
import { readFileSync } from 'node:fs';
import { access, mkdir, open, readFile, rm, rmdir, stat, statfs, writeFile } from 'node:fs/promises';
import { platform, tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { BackendError, InvalidInputError } from '../errors.js';
import { ensureStateDir } from '../state/paths.js';

export interface ThinVolume {
  /** The sparse image file (in the state directory). */
  image: string;
  /** Where it is mounted; the cluster is `<mountPoint>/pg`. */
  mountPoint: string;
  sizeBytes: number;
}

const THIN_FILE = 'thin.json';
/** mkfs.xfs refuses filesystems below 300 MB. */
const MIN_BYTES = 512 * 1024 * 1024;
export const DEFAULT_THIN_SIZE = '20G';

const UNITS: Record<string, number> = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/** "20G", "512M", "1.5T" (binary units, an optional trailing B or iB) → bytes. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?\s*$/i.exec(text);
  if (!m)
    throw new InvalidInputError(`cannot read the size ${JSON.stringify(text)}`, {
      hint: 'write it like 20G or 512M',
    });
  const bytes = Math.floor(Number(m[1]) * UNITS[m[2]!.toUpperCase()]!);
  if (bytes < MIN_BYTES)
    throw new InvalidInputError(`a thin volume of ${text} is too small`, {
      hint: 'use at least 512M (XFS needs 300 MB of its own)',
    });
  return bytes;
}

export function formatSize(bytes: number): string {
  const gb = bytes / 2 ** 30;
  return gb >= 1 ? `${Number(gb.toFixed(1))}G` : `${Math.round(bytes / 2 ** 20)}M`;
}

export async function readThinVolume(stateDir: string): Promise<ThinVolume | null> {
  try {
    return JSON.parse(await readFile(join(stateDir, THIN_FILE), 'utf8')) as ThinVolume;
  } catch {
    return null;
  }
}

/** Where the state directory's thin volume is mounted (whether or not it is now), or null: no volume. */
export function thinMountPointSync(stateDir: string): string | null {
  try {
    return (JSON.parse(readFileSync(join(stateDir, THIN_FILE), 'utf8')) as ThinVolume).mountPoint;
  } catch {
    return null;
  }
}

/** The embedded cluster's data directory when the state directory has a thin volume. */
export async function thinDataDir(stateDir: string): Promise<string | null> {
  const v = await readThinVolume(stateDir);
  return v ? join(v.mountPoint, 'pg') : null;
}

/** A mount point sits on another device than its parent directory. */
export async function isMounted(mountPoint: string): Promise<boolean> {
  try {
    const [a, b] = await Promise.all([stat(mountPoint), stat(dirname(mountPoint))]);
    return a.dev !== b.dev;
  } catch {
    return false;
  }
}

async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}

type Privileged = (argv: string[]) => Promise<{ exitCode?: number; stderr: string; stdout: string }>;

/** Run as root: directly when we are root, else through passwordless sudo; refuse otherwise. */
async function privileged(action: string, retry: string): Promise<Privileged> {
  const run = (argv: string[]) =>
    execa(argv[0]!, argv.slice(1), { reject: false, env: { LC_ALL: 'C' } }).then((r) => ({
      exitCode: r.exitCode,
      stderr: String(r.stderr),
      stdout: String(r.stdout),
    }));
  if (userInfo().uid === 0) return run;
  const sudo = await execa('sudo', ['-n', 'true'], { reject: false }).catch(() => null);
  if (sudo?.exitCode === 0) return (argv) => run(['sudo', '-n', ...argv]);
  throw new BackendError(`${action} needs root (or passwordless sudo), and this user has neither`, {
    hint: retry,
  });
}

function checkPlatform(): void {
  if (platform() !== 'linux')
    throw new InvalidInputError('--thin makes a Linux loopback volume', {
      hint:
        platform() === 'darwin'
          ? 'APFS already clones files: vers-db uses file_copy_method=clone there without --thin'
          : 'put the state directory (VERS_DB_HOME) on a filesystem with reflinks: XFS, Btrfs or ZFS',
    });
}

const CONTAINER_HINT =
  'loop devices and mounting are usually not allowed in containers: run the container with --privileged (or --cap-add SYS_ADMIN --device /dev/loop-control), or put VERS_DB_HOME on a host filesystem with reflinks (XFS, Btrfs, ZFS, APFS)';

/**
 * Where to mount: in the state directory, except as root. Then PostgreSQL runs as the `postgres`
 * OS user, who must reach the cluster, while the state directory stays private (0700): the mount
 * goes under the temporary directory, as the embedded cluster itself does in that case.
 */
function chooseMountPoint(stateDir: string): string {
  if (userInfo().uid !== 0) return join(stateDir, 'thin');
  const key = Buffer.from(stateDir).toString('base64url').slice(-40);
  return join(tmpdir(), `vers-db-${key}`, 'thin');
}

async function mount(v: ThinVolume, run: Privileged): Promise<void> {
  await mkdir(v.mountPoint, { recursive: true });
  const r = await run(['mount', '-t', 'xfs', '-o', 'loop', v.image, v.mountPoint]);
  if (r.exitCode !== 0)
    throw new BackendError(`cannot mount the thin volume ${v.image} on ${v.mountPoint}: ${r.stderr.trim()}`, {
      hint: CONTAINER_HINT,
    });
  const { uid, gid } = userInfo();
  // Through sudo the volume's root belongs to root: hand it to this user, who runs the server.
  if (uid !== 0) await run(['chown', `${uid}:${gid}`, v.mountPoint]);
}

/** Create, format and mount a new thin volume of `sizeBytes` in the state directory. */
export async function createThinVolume(
  stateDir: string,
  sizeBytes: number,
  log: (msg: string) => void,
): Promise<ThinVolume> {
  checkPlatform();
  const run = await privileged(
    '--thin',
    'run `vers-db up --thin` as root, or without --thin (branches then copy)',
  );
  if (!(await exists('/dev/loop-control')))
    throw new BackendError('no loop devices here (/dev/loop-control is missing)', { hint: CONTAINER_HINT });
  const mkfs = await execa('mkfs.xfs', ['-V'], { reject: false }).catch(() => null);
  if (mkfs?.exitCode !== 0)
    throw new BackendError('mkfs.xfs is not installed', {
      hint: 'apt-get install xfsprogs (or dnf install xfsprogs)',
    });
  await ensureStateDir(stateDir);
  const free = await statfs(stateDir).then((s) => s.bavail * s.bsize);
  if (sizeBytes > free)
    throw new InvalidInputError(
      `a thin volume of ${formatSize(sizeBytes)} could grow beyond the ${formatSize(free)} free on ${stateDir}`,
      { hint: `pass a smaller size: vers-db up --thin ${formatSize(Math.floor(free * 0.8))}` },
    );
  const v: ThinVolume = {
    image: join(stateDir, 'thin.img'),
    mountPoint: chooseMountPoint(stateDir),
    sizeBytes,
  };
  log(`making a ${formatSize(sizeBytes)} loopback XFS volume with reflinks: ${v.image} (sparse)`);
  const fh = await open(v.image, 'wx', 0o600);
  try {
    await fh.truncate(sizeBytes);
  } finally {
    await fh.close();
  }
  try {
    const r = await execa('mkfs.xfs', ['-q', '-m', 'reflink=1', v.image], { reject: false });
    if (r.exitCode !== 0) throw new BackendError(`mkfs.xfs failed: ${String(r.stderr).trim()}`);
    await mount(v, run);
  } catch (err) {
    await rm(v.image, { force: true });
    throw err;
  }
  await writeFile(join(stateDir, THIN_FILE), `${JSON.stringify(v, null, 2)}\n`, { mode: 0o600 });
  log(`mounted on ${v.mountPoint}`);
  return v;
}

/** Mount the state directory's thin volume if it has one and it is not mounted (after a reboot). */
export async function mountThinVolume(
  stateDir: string,
  log: (msg: string) => void,
): Promise<ThinVolume | null> {
  const v = await readThinVolume(stateDir);
  if (!v || (await isMounted(v.mountPoint))) return v;
  if (!(await exists(v.image)))
    throw new BackendError(`the thin volume's image ${v.image} is gone`, {
      hint: `remove ${join(stateDir, THIN_FILE)} and run \`vers-db up --thin\` again (the cluster on it is lost)`,
    });
  checkPlatform();
  const run = await privileged(
    'the embedded cluster is on a thin volume that is not mounted; mounting it',
    `run \`sudo mount -t xfs -o loop ${v.image} ${v.mountPoint}\`, or \`vers-db up\` as root`,
  );
  await mount(v, run);
  log(`mounted the thin volume ${v.image} on ${v.mountPoint}`);
  return v;
}

/** Unmount the thin volume (the server must be stopped). False when there is none or it is not mounted. */
export async function unmountThinVolume(stateDir: string): Promise<boolean> {
  const v = await readThinVolume(stateDir);
  if (!v || !(await isMounted(v.mountPoint))) return false;
  const run = await privileged('unmounting the thin volume', `run \`sudo umount ${v.mountPoint}\``);
  const r = await run(['umount', v.mountPoint]);
  if (r.exitCode !== 0)
    throw new BackendError(`cannot unmount ${v.mountPoint}: ${r.stderr.trim()}`, {
      hint: `something still uses it (\`fuser -vm ${v.mountPoint}\` shows what)`,
    });
  return true;
}

export interface ThinStatus {
  image: string;
  mount_point: string;
  size_bytes: number;
  mounted: boolean;
  /** Bytes in use on the volume (clones share blocks, so branches barely move this). */
  used_bytes: number | null;
  free_bytes: number | null;
}

export async function thinStatus(stateDir: string): Promise<ThinStatus | null> {
  const v = await readThinVolume(stateDir);
  if (!v) return null;
  const mounted = await isMounted(v.mountPoint);
  const fs = mounted ? await statfs(v.mountPoint) : null;
  return {
    image: v.image,
    mount_point: v.mountPoint,
    size_bytes: v.sizeBytes,
    mounted,
    used_bytes: fs ? (fs.blocks - fs.bfree) * fs.bsize : null,
    free_bytes: fs ? fs.bavail * fs.bsize : null,
  };
}

/** Unmount and delete the thin volume and everything on it (tests, and a failed move). */
export async function destroyThinVolume(stateDir: string): Promise<void> {
  const v = await readThinVolume(stateDir);
  if (!v) return;
  await unmountThinVolume(stateDir);
  await rm(v.image, { force: true });
  await rm(join(stateDir, THIN_FILE), { force: true });
  await rm(v.mountPoint, { recursive: true, force: true });
  // The temporary parent made for root's mount point, when it is now empty.
  if (dirname(v.mountPoint) !== stateDir) await rmdir(dirname(v.mountPoint)).catch(() => undefined);
}
