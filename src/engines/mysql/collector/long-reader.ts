/**
 * The long-reader trap on MySQL/MariaDB, reproduced on purpose (as src/collector/long-reader.ts
 * does on PostgreSQL): a report query's transaction has already read the tables when the migration
 * starts. It holds a SHARED_READ metadata lock on each until it commits, so even an INSTANT
 * `ALTER TABLE` waits for it (its EXCLUSIVE request), and every new statement on the table queues
 * behind the waiting ALTER. The probes then measure that queue instead of guessing it.
 */
import { connectMysql, type MysqlConnection, type MysqlSettings, quoteMysqlIdent } from '../client.js';

export interface MysqlLongReader {
  /** Resolves once the reader has committed (its metadata locks are released). */
  finished: Promise<void>;
  /** The reader's connection id (what the sampler sees holding the locks). */
  threadId: number;
  /** End it now (a failed or cancelled run); harmless after `finished`. */
  stop(): Promise<void>;
}

const BEGIN_SQL = 'START TRANSACTION WITH CONSISTENT SNAPSHOT';
const COMMIT_SQL = 'COMMIT';

/** Read a row of every table of `database` in one transaction, and keep it open for `holdMs`. */
export async function startMysqlLongReader(
  settings: MysqlSettings,
  database: string,
  tables: readonly string[],
  holdMs: number,
): Promise<MysqlLongReader> {
  const c: MysqlConnection = await connectMysql(settings);
  let ended = false;
  const end = async () => {
    if (ended) return;
    ended = true;
    // After a failed run the connection may be gone already: nothing left to release.
    await c.query(COMMIT_SQL).catch(() => undefined);
    await c.end().catch(() => c.destroy());
  };
  try {
    await c.query(BEGIN_SQL);
    for (const t of tables) {
      await c.query(`SELECT 1 FROM ${quoteMysqlIdent(database)}.${quoteMysqlIdent(t)} LIMIT 1`);
    }
  } catch (err) {
    await end();
    throw err;
  }
  let timer: NodeJS.Timeout | undefined;
  const finished = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, holdMs);
  }).then(end);
  return {
    finished,
    threadId: c.threadId,
    stop: async () => {
      clearTimeout(timer);
      await end();
    },
  };
}
