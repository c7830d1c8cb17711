/**
 * The application's workload in the terminal: per strategy and statement, latency in the baseline
 * window, during the migration and after it, errors and timeouts, and what became of the writes it
 * committed.
 */
import Table from 'cli-table3';
import type picocolors from 'picocolors';
import type { Comparison, StrategyResult } from '../result.js';
import type { WorkloadResult } from '../workload/result.js';
import { formatCount, formatMs } from './format.js';

type Colors = ReturnType<typeof picocolors.createColors>;
type PhaseStats = WorkloadResult['statements'][number]['phases']['baseline'];

const ms = (v: number | null) => (v === null ? '—' : formatMs(v));

function failures(p: PhaseStats): string {
  const parts = Object.entries(p.errors).map(([code, n]) => `${formatCount(n)} × ${code}`);
  if (p.timeouts > 0) parts.push(`${formatCount(p.timeouts)} timeouts`);
  return parts.join(', ');
}

/** "812 committed (240 during the migration), all found" or the missing count and where they went. */
export function describeWrites(w: WorkloadResult['writes'], pc: Colors): string {
  if (w.committed === 0) return 'none committed';
  const head = `${formatCount(w.committed)} committed (${formatCount(w.committed_during_migration)} during the migration)`;
  if (w.missing === 0) {
    return `${head}, ${w.unverifiable ? `${formatCount(w.unverifiable)} could not be checked` : 'all found afterwards'}`;
  }
  const where = Object.entries(w.found_in)
    .map(([t, n]) => `${formatCount(n)} in ${t}`)
    .join(', ');
  return `${head}, ${pc.red(`${formatCount(w.missing)} missing`)}${where ? ` (found instead: ${where})` : ''}`;
}

/** The workload table under the comparison; empty when no strategy ran a workload. */
export function renderWorkloadTable(c: Comparison, pc: Colors): string {
  const runs = c.results.filter((r): r is StrategyResult & { workload: WorkloadResult } => !!r.workload);
  const first = runs[0]?.workload;
  if (!first) return '';
  const table = new Table({
    head: [
      'Strategy',
      'Statement',
      'Baseline p99',
      'Migration p99 / max',
      'After p99',
      'Errors during / after',
    ],
    style: { head: [], border: [] },
  });
  for (const r of runs) {
    r.workload.statements.forEach((s, i) => {
      const { baseline, migration, after } = s.phases;
      const errs = [failures(migration), failures(after)].map((x) => x || '—').join(' / ');
      table.push([
        i === 0 ? r.name : '',
        `${s.name}${s.commit ? ' (commits)' : ''}`,
        ms(baseline.p99_ms),
        `${ms(migration.p99_ms)} / ${ms(migration.max_ms)}`,
        ms(after.p99_ms),
        errs === '— / —' ? 'none' : pc.red(errs),
      ]);
    });
  }
  const lines = [
    pc.bold('Application workload'),
    `${first.file} · ${first.rate ? `${first.rate}/s` : 'flat out'} · ${first.concurrency} session(s)`,
    table.toString(),
  ];
  for (const r of runs) lines.push(`  ${r.name}: committed writes ${describeWrites(r.workload.writes, pc)}`);
  return lines.join('\n');
}

const plain = { red: (s: string) => s } as Colors;

/** One line for the MCP text: each statement's p99 baseline → migration (max), failures, then the writes. */
export function describeWorkload(w: WorkloadResult): string {
  const statements = w.statements.map((s) => {
    const { baseline, migration } = s.phases;
    const fail = failures(migration);
    return `${s.name} p99 ${ms(baseline.p99_ms)} → ${ms(migration.p99_ms)} (max ${ms(migration.max_ms)})${fail ? `, ${fail}` : ''}`;
  });
  return `${statements.join('; ')}; committed writes ${describeWrites(w.writes, plain)}`;
}

/** The workload part of one strategy in full: each statement by window, then the committed writes. */
export function workloadDetail(w: WorkloadResult, pc: Colors): string[] {
  const lines = [
    `${pc.bold('Application workload')} (${w.file}, ${w.rate ? `${w.rate}/s` : 'flat out'}, ${w.concurrency} sessions; windows ${formatMs(w.windows.baseline_ms)} / ${formatMs(w.windows.migration_ms)} / ${formatMs(w.windows.after_ms)})`,
  ];
  for (const s of w.statements) {
    lines.push(`  ${s.name}${s.commit ? ' (commits)' : ''}, line ${s.line}:`);
    for (const phase of ['baseline', 'migration', 'after'] as const) {
      const p = s.phases[phase];
      const fail = failures(p);
      lines.push(
        `    ${phase.padEnd(9)} ${formatCount(p.count).padStart(6)} runs  p50 ${ms(p.p50_ms)}  p95 ${ms(p.p95_ms)}  p99 ${ms(p.p99_ms)}  max ${ms(p.max_ms)}${fail ? `  ${pc.red(fail)}` : ''}`,
      );
    }
  }
  lines.push(`  committed writes: ${describeWrites(w.writes, pc)}`);
  for (const p of w.writes.problems) lines.push(`  - ${p}`);
  return lines;
}
