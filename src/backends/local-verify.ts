/**
 * Is a checkpoint what it was when it was made? Its template database must still exist, still be
 * a template that accepts no connections, and have the per-table checksums recorded then.
 *
 * Reading the checksums opens the template to connections for a moment. A marker file
 * (`verifying/<database>.<pid>` in the state directory) says who opened it, so that a template left
 * open by a verifier that was killed, or held open right now by one in another process, is not
 * mistaken for a damaged checkpoint; the next verification closes what a dead one left open.
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tableChecksums } from '../collector/snapshot.js';
import { processAlive } from '../state/children.js';
import { STATE_DIR_MODE, STATE_FILE_MODE } from '../state/paths.js';
import type { CheckpointEntry } from '../state/registry.js';
import { type ClientConfig, quoteIdent, withClient, withDatabase } from '../util/pg.js';
import { SQLSTATE } from '../util/sqlstate.js';

const TEMPLATE_STATE_SQL = 'SELECT datistemplate, datallowconn FROM pg_database WHERE datname = $1';
/** Reads of the template state; SQLSTATE 57P01 (a branch copied from it right now clears its template) is retried. */
const READ_ATTEMPTS = 3;
const RETRY_MS = 300;

/** One verification of a checkpoint at a time in this process (parallel strategies finish together). */
const inFlight = new Map<string, Promise<unknown>>();

/** What is wrong with the checkpoint's database (empty: intact). */
export function verifyTemplate(
  admin: ClientConfig,
  ckpt: CheckpointEntry,
  stateDir: string,
): Promise<string[]> {
  const previous = inFlight.get(ckpt.id) ?? Promise.resolve();
  const mine = previous.catch(() => undefined).then(() => verifyNow(admin, ckpt, stateDir));
  inFlight.set(ckpt.id, mine);
  void mine
    .catch(() => undefined)
    .then(() => {
      if (inFlight.get(ckpt.id) === mine) inFlight.delete(ckpt.id);
    });
  return mine;
}

async function verifyNow(admin: ClientConfig, ckpt: CheckpointEntry, stateDir: string): Promise<string[]> {
  const tag = ckpt.tag;
  const row = await withClient(
    admin,
    async (c) =>
      (await c.query<{ datistemplate: boolean; datallowconn: boolean }>(TEMPLATE_STATE_SQL, [ckpt.id]))
        .rows[0],
  );
  if (!row) return [`checkpoint ${tag}: its database ${ckpt.id} no longer exists`];
  const problems: string[] = [];
  if (!row.datistemplate) problems.push(`checkpoint ${tag}: ${ckpt.id} is no longer a template`);
  // Open: by a verifier of ours that is running (leave it to close), or one that died (close it now).
  const openers = row.datallowconn ? await verifiers(stateDir, ckpt.id) : { live: 0, dead: [] };
  const openedByUs = openers.live > 0 || openers.dead.length > 0;
  if (row.datallowconn && !openedByUs) problems.push(`checkpoint ${tag}: ${ckpt.id} accepts connections`);
  const closeAfter = !row.datallowconn || (openers.live === 0 && openers.dead.length > 0);
  if (ckpt.checksums) {
    const now = await templateChecksums(admin, ckpt.id, closeAfter, stateDir);
    problems.push(...checksumProblems(tag, ckpt.checksums, now));
  } else if (closeAfter && row.datallowconn) {
    await allowConnections(admin, ckpt.id, false);
  }
  await Promise.all(openers.dead.map((f) => rm(f, { force: true })));
  return problems;
}

const MARKER_DIR = 'verifying';

/** Verifiers (of any process) that opened this template: how many are alive, the files of dead ones. */
async function verifiers(stateDir: string, id: string): Promise<{ live: number; dead: string[] }> {
  const dir = join(stateDir, MARKER_DIR);
  const names = await readdir(dir).catch(() => [] as string[]);
  const out = { live: 0, dead: [] as string[] };
  for (const name of names) {
    if (!name.startsWith(`${id}.`)) continue;
    const pid = Number(name.slice(id.length + 1));
    if (Number.isInteger(pid) && pid !== process.pid && processAlive(pid)) out.live++;
    else out.dead.push(join(dir, name));
  }
  return out;
}

/** Say that this process is opening the template, for as long as `fn` runs. */
async function markedOpen<T>(stateDir: string, id: string, fn: () => Promise<T>): Promise<T> {
  const dir = join(stateDir, MARKER_DIR);
  await mkdir(dir, { recursive: true, mode: STATE_DIR_MODE });
  const marker = join(dir, `${id}.${process.pid}`);
  await writeFile(marker, '', { mode: STATE_FILE_MODE });
  try {
    return await fn();
  } finally {
    await rm(marker, { force: true });
  }
}

function allowConnections(admin: ClientConfig, id: string, on: boolean) {
  return retrying(() =>
    withClient(admin, (c) => c.query(`ALTER DATABASE ${quoteIdent(id)} WITH ALLOW_CONNECTIONS ${on}`)),
  );
}

/** Read a template's checksums: it accepts connections for the read only (only the server user may CONNECT). */
async function templateChecksums(
  admin: ClientConfig,
  id: string,
  closeAfter: boolean,
  stateDir: string,
): Promise<Record<string, string>> {
  return markedOpen(stateDir, id, () => readOpened(admin, id, closeAfter));
}

async function readOpened(
  admin: ClientConfig,
  id: string,
  closeAfter: boolean,
): Promise<Record<string, string>> {
  const allow = (on: boolean) => allowConnections(admin, id, on);
  await allow(true);
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        return await withClient(withDatabase(admin, id), tableChecksums, 'vers-db:verify');
      } catch (err) {
        if ((err as { code?: string }).code !== SQLSTATE.ADMIN_SHUTDOWN || attempt >= READ_ATTEMPTS)
          throw err;
        await sleep(RETRY_MS);
      }
    }
  } finally {
    if (closeAfter) await allow(false);
  }
}

/** Another process changing the same pg_database row at once ("tuple concurrently updated"): again. */
async function retrying<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!/tuple concurrently updated/.test((err as Error).message) || attempt >= READ_ATTEMPTS) throw err;
      await sleep(RETRY_MS);
    }
  }
}

/** What differs between the checksums recorded with a checkpoint and those read now (empty: nothing). */
export function checksumProblems(
  tag: string,
  recorded: Record<string, string>,
  now: Record<string, string>,
): string[] {
  const problems: string[] = [];
  for (const [table, sum] of Object.entries(recorded)) {
    if (!(table in now)) problems.push(`checkpoint ${tag}: table ${table} is gone`);
    else if (now[table] !== sum) problems.push(`checkpoint ${tag}: the data of ${table} changed`);
  }
  for (const table of Object.keys(now)) {
    if (!(table in recorded)) problems.push(`checkpoint ${tag}: table ${table} appeared`);
  }
  return problems;
}
