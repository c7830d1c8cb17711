/**
 * The terminal rendering of a suite run (`vers-db run`): migrations suites as the comparison
 * table with its recommendation; rollback, ETL and performance suites as a table of the metrics
 * the suite asked for; then every check (thresholds, expectations, validations) with its numbers.
 */
import Table from 'cli-table3';
import picocolors from 'picocolors';
import type { StrategyResult } from '../result.js';
import { metricInfo } from '../suite/metrics.js';
import type { SuiteOutcome, SuitePattern, SuiteRunResult } from '../suite/result.js';
import { formatBytes, formatMs } from './format.js';
import { sandboxNotes } from './sandbox-notes.js';
import { type RenderOptions, renderComparisonTable } from './table.js';

export function formatMetric(
  pattern: SuitePattern,
  metric: string,
  value: number | null | undefined,
): string {
  if (value === null || value === undefined) return 'n/a';
  switch (metricInfo(pattern, metric)?.unit) {
    case 'ms':
      return formatMs(value);
    case 'bytes':
      return formatBytes(value);
    case 'pct':
      return `${value}%`;
    case 'per_s':
      return `${value.toFixed(value >= 100 ? 0 : 1)}/s`;
    case 'count':
      return value.toLocaleString('en-US');
    default:
      return String(value);
  }
}

function metricsTable(s: SuiteOutcome, opts: RenderOptions): string {
  const pc = picocolors.createColors(opts.color ?? false);
  const results: StrategyResult[] = s.comparison.results;
  const metrics = [...new Set(results.flatMap((r) => Object.keys(r.metrics ?? {})))].filter((m) =>
    metricInfo(s.pattern, m),
  );
  const table = new Table({
    head: ['Branch', 'Time', ...metrics, 'Status'].map((h) => pc.bold(h)),
    style: { head: [], border: [] },
  });
  for (const r of results) {
    table.push([
      r.name,
      formatMs(r.duration_ms),
      ...metrics.map((m) => formatMetric(s.pattern, m, r.metrics?.[m])),
      r.status === 'passed' ? pc.green('passed') : pc.red(`failed: ${r.error ?? ''}`),
    ]);
  }
  return table.toString();
}

export function renderSuiteOutcome(s: SuiteOutcome, opts: RenderOptions = {}): string {
  const pc = picocolors.createColors(opts.color ?? false);
  const lines: string[] = [];
  const verdict = s.passed ? pc.green('passed') : pc.red('FAILED');
  lines.push(`${pc.bold(`Suite ${s.name}`)} (${s.pattern}) — ${verdict}`);
  if (s.pattern === 'migrations') lines.push(renderComparisonTable(s.comparison, opts));
  else {
    lines.push(
      `checkpoint ${s.checkpoint} · backend ${s.comparison.backend} · ${s.comparison.mode === 'parallel' ? 'run in parallel' : 'run serially, one branch at a time'}`,
    );
    lines.push(metricsTable(s, opts));
    // Who ran as superuser (a suite's `superuser: true`): the comparison table says it for migrations.
    const notes = sandboxNotes(s.comparison.results);
    if (notes.length > 0)
      lines.push(pc.bold('Outside the branch:'), ...notes.map((n) => `  ${pc.yellow('!')} ${n}`));
  }
  if (s.checks.length > 0) {
    lines.push(pc.bold('Checks:'));
    for (const c of s.checks) {
      const mark = c.passed ? pc.green('✓') : pc.red('✗');
      lines.push(`  ${mark} ${c.branch ? `${c.branch}: ` : ''}${c.check} — ${c.detail}`);
    }
  }
  const uncovered = s.failures.filter((f) => !s.checks.some((c) => !c.passed && f.endsWith(c.detail)));
  if (uncovered.length > 0) {
    lines.push(pc.bold('Failures:'));
    for (const f of uncovered) lines.push(`  ${pc.red('✗')} ${f}`);
  }
  return lines.join('\n');
}

export function renderSuiteRun(run: SuiteRunResult, opts: RenderOptions = {}): string {
  const pc = picocolors.createColors(opts.color ?? false);
  const head = `${run.file}: ${run.passed ? pc.green('passed') : pc.red('FAILED')} in ${formatMs(run.duration_ms)} · ${
    run.mode === 'parallel' ? 'branches run in parallel' : 'branches run serially'
  }`;
  return [head, ...run.suites.map((s) => renderSuiteOutcome(s, opts))].join('\n\n');
}
