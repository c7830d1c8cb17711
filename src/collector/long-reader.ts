/**
 * The lock-queue trap, reproduced on purpose: a slow report query is already reading the tables
 * when the migration starts. Even an "instant" ALTER then waits for it in the lock queue — and
 * every new read and write queues behind the waiting ALTER. This is the outage pattern of most
 * migration post-mortems; with a long reader the probes measure it instead of guessing it.
 *
 * The reader is what a report query really is: a REPEATABLE READ transaction that has read from
 * each relation, so it holds both the relations' ACCESS SHARE locks and a snapshot (which
 * `CREATE INDEX CONCURRENTLY` waits for, and a bare LOCK TABLE does not have).
 */
import type pg from 'pg';
import { quoteIdent } from '../util/pg.js';
import { APP_LONG_READER, type Connections } from './connections.js';

export interface LongReader {
  /** Resolves when the reader has committed (its locks and snapshot are released). */
  finished: Promise<void>;
}

const BEGIN_SNAPSHOT_SQL = 'BEGIN ISOLATION LEVEL REPEATABLE READ';

/** Read a row of every relation in one snapshot, and keep the transaction open for `holdMs`. */
export async function startLongReader(
  connections: Connections,
  relations: readonly { schema: string; table: string }[],
  holdMs: number,
): Promise<LongReader> {
  const client: pg.Client = await connections.open(APP_LONG_READER);
  await client.query(BEGIN_SNAPSHOT_SQL);
  for (const r of relations) {
    await client.query(`SELECT 1 FROM ${quoteIdent(r.schema)}.${quoteIdent(r.table)} LIMIT 1`);
  }
  const finished = new Promise<void>((resolve) => setTimeout(resolve, holdMs)).then(async () => {
    // On a failed or cancelled run the connection may already be closed: nothing left to release.
    await client.query('COMMIT').catch(() => undefined);
    await connections.close(client).catch(() => undefined);
  });
  return { finished };
}
