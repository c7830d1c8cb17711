/**
 * What a user reads about the application's waits: the cause in plain words, "unmeasured" never
 * shown as "none", and a ranking that treats an unmeasured relation as unknown, not as safe.
 */
import { describe, expect, it } from 'vitest';
import { rank } from '../../src/analysis/rank.js';
import { blockedCell, describeProbe } from '../../src/report/format.js';
import { renderComparisonMarkdown } from '../../src/report/markdown.js';
import { renderComparisonText as renderComparison } from '../../src/report/text.js';
import type { ProbeStats, StrategyResult } from '../../src/result.js';
import { comparison, strategyA, strategyB } from './fixtures.js';

const rowLockWait: ProbeStats = {
  max_wait_ms: 5012,
  blocked_ms: 5012,
  probes: 40,
  timeouts: 0,
  errors: 0,
  deadlocks: 0,
  waited_share: 0.025,
  status: 'measured',
  cause: {
    kind: 'row_lock',
    relation: 'public.t',
    statement: 2,
    sql: 'UPDATE t SET c = 0',
    text: 'writes to public.t waited 5.0 s on row locks held by statement 2 (UPDATE t SET c = 0)',
  },
};

const unmeasured: ProbeStats = {
  max_wait_ms: 0,
  blocked_ms: 0,
  probes: 0,
  timeouts: 0,
  errors: 0,
  status: 'unmeasured',
  unmeasured_reason:
    'foreign table: in a branch it still points at the real remote server, so it is never probed',
};

const withWrites = (r: StrategyResult, name: string, writes: ProbeStats): StrategyResult => ({
  ...r,
  name,
  blocking: { ...r.blocking, writes, tables: { 'public.t': { reads: r.blocking.reads, writes } } },
});

describe('reports of the application’s waits', () => {
  it('say why a statement waited and which migration statement held the lock', () => {
    const text = describeProbe(rowLockWait);
    expect(text).toContain('max wait 5.0 s');
    expect(text).toContain('2.5% of statements waited >100 ms');
    expect(text).toContain('on row locks held by statement 2 (UPDATE t SET c = 0)');
    const c = { ...comparison, results: [withWrites(strategyB, 'backfill', rowLockWait)] };
    const md = renderComparisonMarkdown(c);
    expect(md).toContain('**Why the application waited**');
    expect(md).toContain('`backfill`: writes to public.t waited 5.0 s on row locks held by statement 2');
  });

  it('show an unmeasured relation as unmeasured, with the reason — never as none', () => {
    expect(describeProbe(unmeasured)).toMatch(/^unmeasured \(foreign table/);
    expect(blockedCell(unmeasured)).toBe('unmeasured');
    expect(describeProbe({ ...unmeasured, status: 'not_applicable' })).toBe('not applicable');
    const c = {
      ...comparison,
      results: [{ ...strategyA, blocking: { ...strategyA.blocking, writes: unmeasured } }],
    };
    expect(renderComparison(c)).toContain('| unmeasured |');
  });

  it('ranks an unmeasured relation as unknown: a fully measured strategy with equal blocking goes first', () => {
    const measured = withWrites(strategyA, 'measured', {
      ...rowLockWait,
      max_wait_ms: 3,
      blocked_ms: 3,
      cause: null,
    });
    const partly: StrategyResult = {
      ...measured,
      name: 'partly-measured',
      duration_ms: measured.duration_ms / 10,
      blocking: {
        ...measured.blocking,
        tables: { ...measured.blocking.tables, 'public.remote': { reads: unmeasured, writes: unmeasured } },
      },
    };
    const ranking = rank([partly, measured]);
    expect(ranking.recommendation?.name).toBe('measured');
    const alone = rank([partly]);
    expect(alone.recommendation?.reasons.join('\n')).toMatch(
      /not measured, so unknown: reads of public\.remote/,
    );
  });

  it('names the cause when explaining why another strategy lost', () => {
    const one = withWrites(strategyB, 'one-statement', rowLockWait);
    const batched = withWrites(strategyB, 'batched', { ...rowLockWait, max_wait_ms: 40, blocked_ms: 90 });
    const ranking = rank([one, batched]);
    expect(ranking.recommendation?.name).toBe('batched');
    expect(ranking.recommendation?.reasons).toContain(
      'one-statement blocked writes for 5.0 s (5.0 s in total): writes to public.t waited 5.0 s on row locks held by statement 2 (UPDATE t SET c = 0)',
    );
  });
});
