/**
 * Where a testStrategies run spends its time, from its progress messages: each message starts a
 * phase that lasts until the next one (or the end of the run).
 */
import { performance } from 'node:perf_hooks';
import type { Progress } from '../../src/core/context.js';

const PHASES: Array<[RegExp, string]> = [
  [/^branching /, 'branch copies (CREATE DATABASE … TEMPLATE)'],
  [/^created \d+ branch/, 'after the branch copies, before the first strategy'],
  [/: branching from /, 'make the branch (CREATE DATABASE … TEMPLATE)'],
  [/: running on branch /, 'connect to the branch'],
  [/: snapshot before the migration$/, 'snapshot before (sizes, dead tuples, row counts, schema)'],
  [
    /: starting the lock sampler, choosing the rows to probe$/,
    'sessions, lock sampler, probe rows (TABLESAMPLE)',
  ],
  [/: probing reads and writes/, 'start the probes, their baselines'],
  [/: statement \d+\//, 'migration statements'],
  [/: migration finished$/, 'stop sampler and probes'],
  [/: snapshot after the migration$/, 'snapshot after, integrity'],
  [/: validating$/, 'validation command'],
  [/: (passed|failed) in \d+ ms$/, 'drop the branch'],
  [/^verifying checkpoint /, 'verify the checkpoint (checksums), record the result'],
];

export class PhaseClock {
  private readonly marks: Array<{ at: number; phase: string }> = [];
  private readonly start = performance.now();

  readonly onProgress = (p: Progress): void => {
    const phase = PHASES.find(([re]) => re.test(p.message))?.[1] ?? 'other';
    this.marks.push({ at: performance.now(), phase });
  };

  /** Milliseconds per phase, summed over strategies, in first-seen order. */
  totals(end = performance.now()): Map<string, number> {
    const out = new Map<string, number>();
    if (this.marks.length && this.marks[0]!.at > this.start)
      out.set('before the first progress', this.marks[0]!.at - this.start);
    for (const [i, m] of this.marks.entries()) {
      const next = this.marks[i + 1]?.at ?? end;
      out.set(m.phase, (out.get(m.phase) ?? 0) + (next - m.at));
    }
    return out;
  }
}
