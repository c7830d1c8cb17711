/** migrations: `testMigration` (core), plus the metrics the suite asked for. */
import { withBranchClient } from '../../backends/with-branch.js';
import { testMigration } from '../../core/index.js';
import { measureIndexBloat, migrationMetric } from '../measure.js';
import type { MigrationBranch } from '../schema.js';
import { type BranchRun, CREATED_BY, type PatternContext, SUITE_SESSION } from './context.js';

export async function runMigrationBranch(p: PatternContext, b: MigrationBranch): Promise<BranchRun> {
  const wantsIndexBloat = b.metrics.includes('index_bloat');
  const result = await testMigration(p.ctx, {
    baseline: p.checkpoint,
    name: b.name,
    migration: b.migration,
    validation: b.validation ?? undefined,
    workload: p.workload,
    superuser: p.superuser,
    deploy: p.deploy,
    keepBranch: p.keepBranches || wantsIndexBloat,
    signal: p.signal,
    onProgress: p.onProgress,
    createdBy: CREATED_BY,
  });
  const metrics: Record<string, number | null> = {};
  for (const m of b.metrics) if (m !== 'index_bloat') metrics[m] = migrationMetric(result, m);
  if (wantsIndexBloat) {
    try {
      // vers-db's own read-only measurement: pgstattuple is no trusted extension, so as the server user.
      metrics.index_bloat = await withBranchClient(
        p.backend,
        result.branch,
        async (client) => (result.status === 'passed' ? await measureIndexBloat(client) : null),
        { as: 'superuser', applicationName: SUITE_SESSION },
      );
    } finally {
      if (!p.keepBranches) await p.backend.destroy(result.branch).catch(() => undefined);
    }
  }
  if (b.metrics.length > 0) result.metrics = { ...result.metrics, ...metrics };
  return { result, checks: [] };
}
