/**
 * The lock-queue trap, reproduced on purpose: a slow report query is already reading the tables
 * when the migration starts. Even an "instant" ALTER then waits for it in the lock queue — and
 * every new read and write queues behind the waiting ALTER. This is the outage pattern of most
 * migration post-mortems; with a long reader the probes measure it instead of guessing it.
 */
import type pg from 'pg';
import { quoteIdent } from '../util/pg.js';
import { APP_LONG_READER, type Connections } from './connections.js';

export interface LongReader {
  /** Resolves when the reader has committed (its locks are released). */
  finished: Promise<void>;
}

/** Take ACCESS SHARE on the tables, as a running SELECT holds it, and keep it for `holdMs`. */
export async function startLongReader(
  connections: Connections,
  tables: readonly { schema: string; table: string }[],
  holdMs: number,
): Promise<LongReader> {
  const client: pg.Client = await connections.open(APP_LONG_READER);
  const list = tables.map((t) => `${quoteIdent(t.schema)}.${quoteIdent(t.table)}`).join(', ');
  await client.query('BEGIN');
  if (list) await client.query(`LOCK TABLE ${list} IN ACCESS SHARE MODE`);
  const finished = new Promise<void>((resolve) => setTimeout(resolve, holdMs)).then(async () => {
    // On a failed or cancelled run the connection may already be closed: nothing left to release.
    await client.query('COMMIT').catch(() => undefined);
    await connections.close(client).catch(() => undefined);
  });
  return { finished };
}
