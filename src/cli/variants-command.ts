/** `vers-db variants <file.sql>…` and the `--variants` flag of `vers-db test`. */
import type { Command } from 'commander';
import { type Context, testStrategies } from '../core/index.js';
import type { TestStrategiesInput } from '../core/types.js';
import { renderComparisonTable } from '../report/table.js';
import type { Comparison } from '../result.js';
import type { VariantsReport } from '../variants/generate.js';
import { suggestForMigrations, testWithVariants, type VariantsComparison } from '../variants/run.js';
import { printJson, printText } from './output.js';
import { type GlobalOptions, runCommand } from './run-command.js';

/** `vers-db test`: the given strategies, and with --variants the catalogue's rewrites beside them. */
export function runTest(ctx: Context, withVariants: boolean | undefined, input: TestStrategiesInput) {
  return withVariants ? testWithVariants(ctx, input) : testStrategies(ctx, input);
}

/** The comparison table, then (with --variants) what each variant changed and how it ended. */
export function renderTest(c: Comparison, color: boolean): string {
  return renderComparisonTable(c, { color }) + renderVariantNotes(c);
}

export function renderVariantsReport(reports: VariantsReport[]): string {
  const lines: string[] = [];
  for (const r of reports) {
    lines.push(
      `${r.migration}${r.catalog ? '' : ' (no checkpoint given: rewrites that need its catalog were not tried)'}`,
    );
    if (r.variants.length === 0) lines.push('  the catalogue has no safer rewrite for it');
    for (const v of r.variants) {
      lines.push(`  ${v.name}: ${v.file}`);
      for (const c of v.changes)
        lines.push(`    statement ${c.statement} (line ${c.line}): ${c.what}`, `      why: ${c.why}`);
    }
    for (const n of r.not_rewritten)
      lines.push(`  statement ${n.statement} (line ${n.line}): not rewritten (${n.rewrite}): ${n.reason}`);
  }
  return lines.join('\n');
}

/** After the comparison table: what each variant changed, and whether it ends like the original. */
export function renderVariantNotes(c: Comparison): string {
  const v = (c as Partial<VariantsComparison>).variants;
  if (!v) return '';
  const lines = ['', renderVariantsReport(v), '', 'end state against the original (schema and data):'];
  for (const r of c.results) {
    const e = r.equivalence;
    if (!e || e.status === 'original') continue;
    const detail =
      e.status === 'different' ? `: ${e.differences.join('; ')}` : e.reason ? ` (${e.reason})` : '';
    lines.push(`  ${r.name}: ${e.status}${detail}`);
  }
  return lines.join('\n');
}

export function addVariantsCommand(program: Command, globals: () => GlobalOptions): void {
  program.commands
    .find((c) => c.name() === 'test')
    ?.option(
      '--variants',
      "also test the catalogue's safer rewrites of the migrations; every strategy after the first is checked to end in its schema and data",
    );
  program
    .command('variants <migrations...>')
    .description(
      'write the safer rewrites of a migration (CONCURRENTLY, NOT VALID + VALIDATE, batches, expand/contract…) under the state directory, with what changed and why',
    )
    .option(
      '--baseline <tag>',
      'checkpoint whose catalog tells partitions, primary keys, volatility, type changes',
    )
    .option('--json', 'print the report as JSON only')
    .action((migrations: string[], o: { baseline?: string; json?: boolean }) =>
      runCommand(globals(), async (ctx, signal) => {
        const reports = await suggestForMigrations(ctx, {
          migrations: migrations.map((m) => ({ migration: m, kind: 'file' })),
          baseline: o.baseline,
          signal,
        });
        if (o.json) printJson(reports);
        else printText(renderVariantsReport(reports));
        return 0;
      }),
    );
}
