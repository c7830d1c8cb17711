/**
 * The soak's infrastructure faults on the local backend: a full disk (the state directory lives on
 * a small tmpfs volume that is filled while a test runs) and a restart of the PostgreSQL server
 * mid-test (fast shutdown, or immediate — a crash followed by recovery — every other time).
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { ensureEmbedded, stopEmbedded } from '../../src/backends/embedded.js';
import { processAlive } from '../../src/state/children.js';
import { countResults, readRegistry } from './soak-checks.js';
import type { InjectContext } from './soak-faults.js';

const FILLER = '.soak-filler';

/** A small tmpfs volume at `dir` (the state directory): root may mount, the soak unmounts at the end. */
export async function mountSmallVolume(dir: string, sizeKb: number): Promise<void> {
  await execa('mkdir', ['-p', dir]);
  await execa('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k,mode=0700`, 'vers-db-soak', dir]);
}

export async function unmountVolume(dir: string): Promise<void> {
  await execa('umount', [dir], { reject: false });
}

export async function isMounted(dir: string): Promise<boolean> {
  const mounts = await readFile('/proc/self/mounts', 'utf8');
  return mounts.split('\n').some((l) => l.split(' ')[1] === dir);
}

/** Fill the volume to the last block; dd stops at ENOSPC. */
async function fill(dir: string): Promise<void> {
  await execa('dd', ['if=/dev/zero', `of=${join(dir, FILLER)}`, 'bs=4k'], { reject: false });
}

export async function fullDisk(delay: number, home: string, c: InjectContext): Promise<void> {
  const run = c.cli(['test', 'base', 'slow.sql', 'quick.sql', '--json']);
  try {
    await sleep(delay);
    await fill(home);
    countResults(c.tally, c.kind, c.label, await run, 2);
  } finally {
    await run.catch(() => undefined);
    await rm(join(home, FILLER), { force: true });
  }
}

/** Once the test has made a branch, wait `delay` ms and restart the server under it. */
export async function serverRestart(
  delay: number,
  home: string,
  serverHome: string,
  immediate: boolean,
  c: InjectContext,
): Promise<void> {
  const run = c.cli(['test', 'base', 'slow.sql', 'quick.sql', '--json']);
  const until = Date.now() + 15_000;
  while (Date.now() < until) {
    const reg = await readRegistry(home).catch(() => null);
    if (reg && Object.keys(reg.branches).length > 0) break;
    await sleep(50);
  }
  await sleep(delay);
  await restart(serverHome, immediate);
  countResults(c.tally, c.kind, c.label, await run, 2);
}

async function restart(serverHome: string, immediate: boolean): Promise<void> {
  if (immediate) {
    const { dataDir } = JSON.parse(await readFile(join(serverHome, 'embedded.json'), 'utf8')) as {
      dataDir: string;
    };
    const pid = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    process.kill(pid, 'SIGQUIT'); // immediate shutdown: no checkpoint, crash recovery at the next start
    for (let k = 0; k < 200 && processAlive(pid); k++) await sleep(50);
  } else {
    await stopEmbedded(serverHome);
  }
  await ensureEmbedded(serverHome, { persistent: true });
}
