/**
 * PostgreSQL's side of core: a checkpoint's record read from the source (counts only when the
 * backend does not seal the copy itself), the collector in src/collector, the workload in
 * PostgreSQL's dialect, and catalog comparisons (../postgres-compare.ts). Every option of
 * test_strategies is supported here.
 */
import { measureMigration } from '../../collector/index.js';
import { loadWorkload } from '../../workload/index.js';
import { sourceRowCounts, takeCheckpointSnapshot } from '../checkpoint-snapshot.js';
import { type Reservation, reserveConnections } from '../connection-budget.js';
import { outsideBranchWarnings } from '../outside-branch.js';
import { checkPostgresQuery, comparePostgresBranches } from '../postgres-compare.js';
import type { CoreEngine } from './types.js';

export const postgresCore: CoreEngine = {
  name: 'postgres',

  async readSource(ctx, tag, source, backend) {
    // A local checkpoint counts its rows exactly as it is sealed (with its checksums): the source
    // need not be scanned for them too, and the counts are those of the checkpoint itself.
    const sealed = Boolean(backend.verifyCheckpoint);
    const snapshot = await takeCheckpointSnapshot(tag, source.config, { rowCounts: !sealed });
    return {
      database: source.config.database,
      snapshot,
      afterCopy: async () => {
        if (sealed) {
          snapshot.rowCounts =
            (await ctx.registry.checkpoint(tag))?.rowCounts ?? (await sourceRowCounts(source.config));
        }
      },
    };
  },

  refuseUnsupported: () => undefined,

  loadWorkload: (input, cwd) => loadWorkload(input, cwd),

  async measure(backend, conn, branch, m, opts) {
    // Parallel strategies share the server's connections: wait for room rather than fail.
    const collect = opts.collectMetrics ?? true;
    const reservation: Reservation = await reserveConnections(conn.config, {
      probes: collect,
      signal: opts.signal,
    });
    try {
      return await measureMigration({
        name: m.name,
        branch,
        connection: conn.config,
        migration: m.source,
        exec: (command, o) => backend.exec(branch, command, { ...o, superuser: opts.superuser ?? false }),
        collectMetrics: collect,
        maxProbeConnections: reservation.probeConnections,
        longReaderMs: opts.longReaderMs,
        deploy: opts.deploy,
        workload: opts.workload,
        knownRowCounts: opts.knownRowCounts,
        signal: opts.signal,
        onProgress: opts.onProgress,
        timeouts: opts.timeouts,
      });
    } finally {
      reservation.release();
    }
  },

  outsideBranchWarnings: (sql) => outsideBranchWarnings(sql),
  checkCompareQuery: checkPostgresQuery,
  compare: comparePostgresBranches,
};
