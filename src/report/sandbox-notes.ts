/** What every report says about privileges: who ran as superuser, and statements that reach outside the branch. */
import type { StrategyResult } from '../result.js';

const MAX_WARNINGS = 5;

export function sandboxNotes(results: readonly StrategyResult[]): string[] {
  const notes: string[] = [];
  for (const r of results) {
    if (r.sandbox?.role === 'superuser')
      notes.push(
        `${r.name} ran as the server's superuser (asked for with --superuser or a suite's "superuser: true"): it was not confined to its branch`,
      );
    const warnings = r.sandbox?.warnings ?? [];
    for (const w of warnings.slice(0, MAX_WARNINGS)) notes.push(`${r.name}: ${w}`);
    if (warnings.length > MAX_WARNINGS)
      notes.push(`${r.name}: and ${warnings.length - MAX_WARNINGS} more statements reach outside the branch`);
  }
  return notes;
}
