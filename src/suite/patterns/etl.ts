/** ETL: the job as a measured command, then row counts, quality and lag. */
import { exactRowCounts, measureMigration } from '../../collector/index.js';
import { printedMetric, readNumber } from '../measure.js';
import type { SuiteCheck } from '../result.js';
import type { EtlBranch } from '../schema.js';
import { type BranchRun, execIn, onBranch, type PatternContext, validate } from './context.js';

function sumRows(counts: Record<string, number>, target: readonly string[]): number {
  if (target.length === 0) return Object.values(counts).reduce((s, n) => s + n, 0);
  return target.reduce((s, t) => s + (counts[t] ?? counts[`public.${t}`] ?? 0), 0);
}

export async function runEtlBranch(p: PatternContext, b: EtlBranch): Promise<BranchRun> {
  return onBranch(p, b.name, async (branch, client, config) => {
    let stdout = '';
    const exec = execIn(p, branch);
    const result = await measureMigration({
      name: b.name,
      branch,
      connection: config,
      migration: { kind: 'command', command: b.command },
      exec: async (command, o) => {
        const r = await exec(command, o);
        stdout += r.stdout;
        return r;
      },
      collectMetrics: true,
      signal: p.signal,
      onProgress: (x) => p.onProgress?.({ message: `${b.name}: ${x.message}` }),
    });
    const checks: SuiteCheck[] = [];
    const metrics: Record<string, number | null> = {};
    const counts = await exactRowCounts(client);
    const missing = b.target.filter((t) => counts[t] === undefined && counts[`public.${t}`] === undefined);
    if (missing.length > 0) {
      checks.push({
        branch: b.name,
        check: 'target',
        passed: false,
        detail: `target table(s) not found after the job: ${missing.join(', ')}`,
      });
    }
    for (const m of b.metrics) {
      if (m === 'row_count') metrics[m] = sumRows(counts, b.target);
      else if (m === 'sync_time') metrics[m] = result.statements[0]?.duration_ms ?? result.duration_ms;
      else if (m === 'execution_time') metrics[m] = result.duration_ms;
      else if (m === 'data_quality_score' || m === 'lag_time') {
        const spec = m === 'data_quality_score' ? b.quality : b.lag;
        if (spec) {
          const n = await readNumber(spec, client, p.backend, branch, p.dir);
          metrics[m] = n.value;
          if (n.error) checks.push({ branch: b.name, check: m, passed: false, detail: n.error });
        } else {
          metrics[m] = printedMetric(stdout, m);
          if (metrics[m] === null) {
            checks.push({
              branch: b.name,
              check: m,
              passed: false,
              detail: `not measured: give \`${m === 'data_quality_score' ? 'quality' : 'lag'}: {sql: ...}\` or print "${m}=<n>" from the job`,
            });
          }
        }
      }
    }
    result.metrics = metrics;
    if (b.validation && result.status === 'passed') {
      const v = await validate(p, branch, b.validation);
      result.validation = { status: v.ok ? 'passed' : 'failed', output: v.output };
      if (!v.ok) {
        result.status = 'failed';
        result.error = 'validation failed';
      }
    }
    return { result, checks };
  });
}
