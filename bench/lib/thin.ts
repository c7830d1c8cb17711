/**
 * Thin branches in the bench: a loopback XFS volume with reflinks (the same one `vers-db up --thin`
 * makes), used by the bench's PostgreSQL 18 as a tablespace. A source database moved there is
 * checkpointed and branched with FILE_COPY + file_copy_method=clone inside the volume, so its rows
 * measure the same clones as a cluster kept on the volume, on the same server as the copy rows.
 */
import { chown, mkdir } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { createThinVolume, destroyThinVolume, isMounted } from '../../src/backends/thin-volume.js';
import { quoteIdent, withClient } from '../../src/util/pg.js';
import { admin } from './data.js';
import { log } from './log.js';
import type { BenchServer } from './servers.js';

export const THIN_TABLESPACE = 'vers_db_bench_thin';

export interface ThinSpace {
  tablespace: string;
  mountPoint: string;
  stateDir: string;
}

/**
 * Make the volume before the server starts (so cleanup can unmount it after the server stops),
 * or say why not: not root, a container, no xfsprogs, too little disk.
 */
export async function makeThinVolume(
  benchDir: string,
  sizeBytes: number,
): Promise<{ ok: true; mountPoint: string; stateDir: string } | { ok: false; reason: string }> {
  const stateDir = join(benchDir, 'thin-state');
  try {
    const v = await createThinVolume(stateDir, sizeBytes, log);
    return { ok: true, mountPoint: v.mountPoint, stateDir };
  } catch (err) {
    await destroyThinVolume(stateDir).catch(() => undefined);
    return { ok: false, reason: (err as Error).message };
  }
}

/** The volume as a tablespace of the server (owned by the `postgres` OS user when we are root). */
export async function addThinTablespace(
  server: BenchServer,
  volume: { mountPoint: string; stateDir: string },
): Promise<ThinSpace> {
  const location = join(volume.mountPoint, 'ts');
  await mkdir(location, { mode: 0o700 });
  if (userInfo().uid === 0) {
    const uid = Number((await execa('id', ['-u', 'postgres'])).stdout);
    const gid = Number((await execa('id', ['-g', 'postgres'])).stdout);
    await chown(location, uid, gid);
  }
  // The location is our own mkdtemp path; CREATE TABLESPACE takes no parameters, so quote it as a literal.
  const literal = `'${location.replace(/'/g, "''")}'`;
  await withClient(admin(server.url), (c) =>
    c.query(`CREATE TABLESPACE ${quoteIdent(THIN_TABLESPACE)} LOCATION ${literal}`),
  );
  return { tablespace: THIN_TABLESPACE, ...volume };
}

/** Unmount and delete the volume; run after the server that used it has stopped. */
export async function removeThinVolume(volume: { mountPoint: string; stateDir: string }): Promise<void> {
  await destroyThinVolume(volume.stateDir);
  if (await isMounted(volume.mountPoint)) log(`cleanup: ${volume.mountPoint} is still mounted`);
}

export async function moveDatabase(serverUrl: string, database: string, tablespace: string): Promise<void> {
  await withClient(admin(serverUrl), (c) =>
    c.query(`ALTER DATABASE ${quoteIdent(database)} SET TABLESPACE ${quoteIdent(tablespace)}`),
  );
}

/** fsync is server-wide (sighup): a clone's per-file fsyncs are most of its time. */
export async function setServerFsync(serverUrl: string, on: boolean): Promise<void> {
  await withClient(admin(serverUrl), async (c) => {
    await c.query(on ? 'ALTER SYSTEM RESET fsync' : 'ALTER SYSTEM SET fsync = off');
    await c.query('SELECT pg_reload_conf()');
  });
  // The reload reaches the backends asynchronously.
  await new Promise((r) => setTimeout(r, 300));
}

/** Bytes in use on the volume (clones share blocks: branches barely move it). */
export async function volumeUsed(mountPoint: string): Promise<number> {
  const { statfs } = await import('node:fs/promises');
  const s = await statfs(mountPoint);
  return (s.blocks - s.bfree) * s.bsize;
}
