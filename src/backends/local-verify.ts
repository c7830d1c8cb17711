/**
 * Is a checkpoint what it was when it was made? Its template database must still exist, still be
 * a template that accepts no connections, and have the per-table checksums recorded then.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { tableChecksums } from '../collector/snapshot.js';
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
export function verifyTemplate(admin: ClientConfig, ckpt: CheckpointEntry): Promise<string[]> {
  const previous = inFlight.get(ckpt.id) ?? Promise.resolve();
  const mine = previous.catch(() => undefined).then(() => verifyNow(admin, ckpt));
  inFlight.set(ckpt.id, mine);
  void mine
    .catch(() => undefined)
    .then(() => {
      if (inFlight.get(ckpt.id) === mine) inFlight.delete(ckpt.id);
    });
  return mine;
}

async function verifyNow(admin: ClientConfig, ckpt: CheckpointEntry): Promise<string[]> {
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
  if (row.datallowconn) problems.push(`checkpoint ${tag}: ${ckpt.id} accepts connections`);
  if (ckpt.checksums) {
    const now = await templateChecksums(admin, ckpt.id, !row.datallowconn);
    problems.push(...checksumProblems(tag, ckpt.checksums, now));
  }
  return problems;
}

/** Read a template's checksums: it accepts connections for the read only (only the server user may CONNECT). */
async function templateChecksums(
  admin: ClientConfig,
  id: string,
  closeAfter: boolean,
): Promise<Record<string, string>> {
  const allow = (on: boolean) =>
    retrying(() =>
      withClient(admin, (c) => c.query(`ALTER DATABASE ${quoteIdent(id)} WITH ALLOW_CONNECTIONS ${on}`)),
    );
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
