/**
 * `vers-db doctor` on MySQL/MariaDB: the server and where it is, where lock holders are named
 * from (the same detection every MySQL result's `lock_source` comes from), and, on the local
 * backend, whether the copies behind checkpoints and branches are reflinked.
 */
import { withSource } from '../backends/with-branch.js';
import type { Context } from '../core/context.js';
import { mysqlSettingsOf } from '../core/engine-of.js';
import { withMysql } from '../engines/mysql/client.js';
import { detectLockSources, lockSourceNote } from '../engines/mysql/lock-sources.js';
import { describeError } from '../errors.js';
import type { Check } from './doctor-checks.js';
import { mysqlCopies } from './mysql-thin.js';

const VERSION_SQL = 'SELECT VERSION() AS version';

export async function mysqlServerChecks(ctx: Context): Promise<Check[]> {
  const checks: Check[] = [];
  try {
    const backend = await ctx.backend();
    await withSource(backend, async (source) =>
      withMysql(mysqlSettingsOf(source), async (c) => {
        const [rows] = await c.query(VERSION_SQL);
        const version = String((rows as Array<{ version: string }>)[0]?.version ?? 'unknown');
        checks.push({ name: 'MySQL/MariaDB', ok: true, detail: `${version} at ${source.displayUrl}` });
        const sources = await detectLockSources(c);
        checks.push({
          name: 'lock holders',
          ok: sources.metadataLocks ? true : 'warn',
          detail: lockSourceNote(sources),
        });
      }),
    );
  } catch (err) {
    checks.push({ name: 'MySQL/MariaDB', ok: false, detail: describeError(err) });
  }
  if (ctx.backendKind === 'local') {
    const { copies } = await mysqlCopies(ctx.stateDir);
    checks.push({
      name: 'MySQL copies',
      ok: copies.reflinks ? true : 'warn',
      detail: `${copies.reflinks === null ? 'unknown' : copies.reflinks ? 'reflinked' : 'full copies'}: ${copies.reason}`,
    });
  }
  return checks;
}
