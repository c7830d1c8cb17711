/**
 * The terminal rendering: the comparison table with the recommendation and its reasons (the
 * use-case's "Migration Strategy Comparison"), and one strategy in detail. Every number shown is
 * a field of the result; color only when asked (never when stdout is a pipe or JSON).
 */
import Table from 'cli-table3';
import picocolors from 'picocolors';
import type { Comparison, ProbeStats, StrategyResult } from '../result.js';
import { deployLines } from './deploy.js';
import {
  describeBloat,
  describeMode,
  describeProbe,
  describeRewrites,
  engineMeta,
  formatBytes,
  formatCount,
  formatMs,
  formatPct,
  integrityProblems,
  longestLock,
  rejectionReason,
  sqlSummary,
  verdictOf,
} from './format.js';
import { sandboxNotes } from './sandbox-notes.js';
import { renderWorkloadTable, workloadDetail } from './workload.js';

export interface RenderOptions {
  color?: boolean;
}

const HEAD = [
  'Strategy',
  'Time',
  'Reads blocked',
  'Writes blocked',
  'Longest blocking lock',
  'Rewrites',
  'Bloat (dead / %)',
  'Integrity',
  'Rec',
];

export function renderComparisonTable(c: Comparison, opts: RenderOptions = {}): string {
  const pc = picocolors.createColors(opts.color ?? false);
  const table = new Table({
    head: HEAD.map((h) => pc.bold(h)),
    style: { head: [], border: [], compact: false },
  });
  for (const r of c.results) {
    const verdict = verdictOf(c, r);
    const lock = longestLock(r);
    const failed = r.status === 'failed';
    const name = failed
      ? `${r.name}\n${pc.red(r.failed_statement ? `failed at statement ${r.failed_statement}` : 'failed')}`
      : r.name;
    const blockedCell = (stats: ProbeStats) =>
      stats.status === 'unmeasured'
        ? pc.red('unmeasured')
        : stats.blocked_ms === 0
          ? pc.green('none')
          : pc.yellow(formatMs(stats.blocked_ms));
    table.push([
      name,
      formatMs(r.duration_ms),
      blockedCell(r.blocking.reads),
      blockedCell(r.blocking.writes),
      lock
        ? `${lock.mode}\n${lock.relation}\n${formatMs(lock.held_ms)}${lock.statement === null ? '' : ` (stmt ${lock.statement})`}`
        : 'none',
      describeRewrites(r).replaceAll(', ', '\n'),
      describeBloat(r).replace(/ (\S+)$/, '\n$1'),
      r.integrity.ok ? pc.green('ok') : pc.red(`✗ ${integrityProblems(r).length} problem(s)`),
      verdict === 'recommended' ? pc.green('✓ rec') : verdict === 'acceptable' ? pc.green('✓') : pc.red('✗'),
    ]);
  }

  const lines: string[] = [];
  lines.push(pc.bold('Migration strategy comparison'));
  lines.push(`baseline ${c.baseline} · backend ${c.backend}${engineMeta(c)} · ${describeMode(c)}`);
  lines.push(table.toString());
  const workload = renderWorkloadTable(c, pc);
  if (workload) lines.push('', workload);
  lines.push('');
  if (c.recommendation) {
    lines.push(`${pc.bold('Recommendation:')} ${pc.green(c.recommendation.name)}`);
    for (const reason of c.recommendation.reasons) lines.push(`  - ${reason}`);
  } else {
    lines.push(`${pc.bold('Recommendation:')} ${pc.red('none')} — no strategy passed every check`);
  }
  const rejected = c.results
    .map((r) => ({ r, reason: verdictOf(c, r) === 'rejected' ? rejectionReason(c, r) : null }))
    .filter((x): x is { r: StrategyResult; reason: string } => x.reason !== null);
  if (rejected.length > 0) {
    lines.push('');
    lines.push(pc.bold('Rejected:'));
    for (const { r, reason } of rejected) lines.push(`  ${pc.red('✗')} ${r.name}: ${reason}`);
  }
  const notes = sandboxNotes(c.results);
  if (notes.length > 0) {
    lines.push('', pc.bold('Outside the branch:'));
    for (const n of notes) lines.push(`  ${pc.yellow('!')} ${n}`);
  }
  return lines.join('\n');
}

/** One strategy in full: statements, locks, blocking per table, rewrites, bloat, integrity, validation. */
export function renderStrategyResult(r: StrategyResult, opts: RenderOptions = {}): string {
  const pc = picocolors.createColors(opts.color ?? false);
  const lines: string[] = [];
  const status = r.status === 'passed' ? pc.green('passed') : pc.red('failed');
  lines.push(`${pc.bold(r.name)} — ${status} in ${formatMs(r.duration_ms)} (branch ${r.branch})`);
  if (r.error) lines.push(`  ${pc.red('error:')} ${r.error}`);

  lines.push(pc.bold('Statements'));
  if (r.statements.length === 0) lines.push('  (none recorded)');
  for (const s of r.statements) {
    const err = s.error ? `  ${pc.red(`error${s.sqlstate ? ` ${s.sqlstate}` : ''}: ${s.error}`)}` : '';
    lines.push(
      `  #${s.index} line ${s.line}  ${formatMs(s.duration_ms).padStart(8)}  ${sqlSummary(s.sql)}${err}`,
    );
  }

  lines.push(pc.bold('Locks held'));
  if (r.locks.length === 0) lines.push('  none');
  for (const l of [...r.locks].sort((a, b) => a.start_ms - b.start_ms)) {
    const stmt = l.statement === null ? '' : `, statement ${l.statement}`;
    const waiters = l.blocked_pids ? `, ${l.blocked_pids} session(s) waited on it` : '';
    lines.push(
      `  ${l.mode} ${l.relation}  ${formatMs(l.held_ms)} (from ${formatMs(l.start_ms)}${stmt}${waiters})`,
    );
  }

  lines.push(pc.bold('Blocking of the application'));
  lines.push(
    `  all tables: reads ${describeProbe(r.blocking.reads)}; writes ${describeProbe(r.blocking.writes)}`,
  );
  lines.push(
    `  probes: ${formatCount(r.blocking.reads.probes)} reads, ${formatCount(r.blocking.writes.probes)} writes` +
      (r.blocking.reads.errors + r.blocking.writes.errors > 0
        ? `, ${r.blocking.reads.errors + r.blocking.writes.errors} probe errors`
        : ''),
  );
  for (const [rel, t] of Object.entries(r.blocking.tables)) {
    lines.push(`  ${rel}: reads ${describeProbe(t.reads)}; writes ${describeProbe(t.writes)}`);
  }

  lines.push(`${pc.bold('Rewrites:')} ${describeRewrites(r)}`);

  lines.push(pc.bold('Bloat'));
  if (r.bloat.tables.length === 0) lines.push('  (no tables measured)');
  for (const b of r.bloat.tables) {
    lines.push(
      `  ${b.relation}  ${formatBytes(b.size_before)} → ${formatBytes(b.size_after)}, ` +
        (b.dead_tuples === null
          ? 'dead tuples: n/a'
          : `${formatCount(b.dead_tuples)} dead tuples (${formatPct(b.dead_pct ?? 0)})`),
    );
  }
  if (r.wal_bytes !== undefined && r.wal_bytes !== null)
    lines.push(`${pc.bold('WAL:')} ${formatBytes(r.wal_bytes)}`);

  if (r.integrity.ok) lines.push(`${pc.bold('Integrity:')} ${pc.green('ok')}`);
  else {
    lines.push(`${pc.bold('Integrity:')} ${pc.red('problems')}`);
    for (const p of integrityProblems(r)) lines.push(`  - ${p}`);
  }

  if (r.workload) lines.push(...workloadDetail(r.workload, pc));
  if (r.deploy) lines.push(pc.bold('Deploy rehearsal'), ...deployLines(r.deploy).map((l) => `  ${l}`));

  if (r.schema_changes && r.schema_changes.length > 0) {
    lines.push(pc.bold('Schema changes against the checkpoint'));
    for (const change of r.schema_changes) lines.push(`  ${change}`);
  }

  if (r.metrics && Object.keys(r.metrics).length > 0) {
    lines.push(pc.bold('Metrics'));
    for (const [k, v] of Object.entries(r.metrics)) lines.push(`  ${k}: ${v === null ? 'n/a' : v}`);
  }

  if (r.validation) {
    const v = r.validation.status === 'passed' ? pc.green('passed') : pc.red('failed');
    lines.push(`${pc.bold('Validation:')} ${v}`);
    const out = r.validation.output.trim();
    if (out) for (const line of out.split('\n').slice(-20)) lines.push(`  | ${line}`);
  }
  return lines.join('\n');
}
