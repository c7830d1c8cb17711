/**
 * A MySQL/MariaDB checkpoint's record: sizes and schema read from the source before the copy;
 * exact row counts and CHECKSUM TABLE of the checkpoint itself after it (recorded by the
 * storage driver when it seals the copy, else read here on a temporary branch of it), so that
 * every run can verify the checkpoint is untouched. On Vers (a commit cannot change) the row
 * counts are the source's, read before the copy.
 */
import type { Backend, BranchConnection } from '../backends/backend.js';
import { BackendError, describeError } from '../errors.js';
import type { CheckpointSnapshot } from './checkpoint-snapshot.js';
import { mysqlSettingsOf } from './engine-of.js';
import type { SourceRead } from './engines/types.js';
import { coreVerifiesMysql, readCheckpointOnBranch } from './mysql-checkpoint.js';
import { mysqlCheckpointFacts } from './mysql-snapshot.js';

export async function mysqlBefore(
  tag: string,
  source: BranchConnection,
  backend: Backend,
): Promise<SourceRead> {
  const settings = mysqlSettingsOf(source);
  const onVers = backend.capabilities.isolation === 'vm';
  const facts = await mysqlCheckpointFacts(settings, settings.database, { rowCounts: onVers });
  const snapshot: CheckpointSnapshot = {
    tag,
    engine: 'mysql',
    takenAt: new Date().toISOString(),
    rowCounts: facts.rowCounts,
    sizes: facts.sizes,
    checksums: null,
    schema: facts.schema,
  };
  return {
    database: settings.database,
    snapshot,
    async afterCopy(ctx, signal) {
      const entry = await ctx.registry.checkpoint(tag);
      if (entry?.checksums) {
        snapshot.checksums = entry.checksums;
        snapshot.rowCounts = entry.rowCounts ?? snapshot.rowCounts;
        return;
      }
      if (!coreVerifiesMysql({ engine: 'mysql' }, backend)) return;
      try {
        const sealed = await readCheckpointOnBranch(backend, tag, signal);
        snapshot.rowCounts = sealed.rowCounts;
        snapshot.checksums = sealed.checksums;
      } catch (err) {
        // A checkpoint that cannot be verified is no baseline: take it away, say why.
        await backend.deleteCheckpoint(tag, { force: true }).catch(() => undefined);
        throw new BackendError(`checkpoint ${tag}: could not read its checksums: ${describeError(err)}`, {
          cause: err,
          hint: 'the checkpoint was removed; make it again',
        });
      }
    },
  };
}
