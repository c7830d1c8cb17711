/**
 * Lock intervals from samples (pure logic): edges at the midpoint between samples, sharpened by
 * statement boundaries, and attribution to the statement that actually took the lock.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createClock } from '../../src/collector/clock.js';
import { lockIntervals, locksHeld } from '../../src/collector/locks.js';
import { unionLength } from '../../src/collector/probes.js';
import type { StatementTiming } from '../../src/collector/runner.js';
import type { LockRun, SamplerData } from '../../src/collector/sampler.js';
import { loadParser, splitStatements } from '../../src/collector/split.js';

beforeAll(async () => {
  await loadParser();
});

/** Samples every 10 ms from t=0, each taking 1 ms. */
const samples = (n: number) => Array.from({ length: n }, (_, i) => ({ send: i * 10, recv: i * 10 + 1 }));
const run = (first: number, last: number, mode = 'AccessExclusiveLock', openAtEnd = false): LockRun => ({
  oid: 16400,
  mode,
  granted: true,
  first,
  last,
  openAtEnd,
  waiters: new Set([7, 8]),
});
const data = (runs: LockRun[], n = 200): SamplerData => ({
  samples: samples(n),
  runs,
  relations: new Map([[16400, { name: 'public.users', table: 'users' }]]),
  probeWaits: [],
  migrationPids: new Set(),
});

describe('lock intervals', () => {
  it('takes start and end from the statements that take and release the lock', () => {
    // BEGIN (2-3), LOCK users (3-4), pg_sleep (4-1004), COMMIT (1004-1005); seen at samples 1..100.
    // Midpoints 5.5 and 1005.5 are pulled into LOCK's and COMMIT's run times.
    const statements = splitStatements('BEGIN;\nLOCK TABLE users;\nSELECT pg_sleep(1);\nCOMMIT;');
    const timings: StatementTiming[] = [
      { index: 1, start: 2, end: 3 },
      { index: 2, start: 3, end: 4 },
      { index: 3, start: 4, end: 1004 },
      { index: 4, start: 1004, end: 1005 },
    ];
    const [interval] = lockIntervals(data([run(1, 100)]), timings, statements, 1006);
    expect(interval).toMatchObject({ relation: 'public.users', statement: 2, start: 4, end: 1005 });
    const clock = createClock();
    clock.origin = 2;
    expect(locksHeld([interval!], clock)).toEqual([
      {
        relation: 'public.users',
        mode: 'AccessExclusiveLock',
        held_ms: 1001,
        statement: 2,
        start_ms: 2,
        blocked_pids: 2,
      },
    ]);
  });

  it('prefers the statement that names the relation when several ran between two samples', () => {
    const statements = splitStatements('ALTER TABLE orders ADD x int;\nALTER TABLE users ADD y int;');
    const timings: StatementTiming[] = [
      { index: 1, start: 12, end: 14 },
      { index: 2, start: 14, end: 16 },
    ];
    // users is seen only at sample 2 (t=20) and gone at sample 3: taken by statement 2.
    const [interval] = lockIntervals(data([run(2, 2)]), timings, statements, 40);
    expect(interval!.statement).toBe(2);
  });

  it('uses sample midpoints when no statement boundary helps (a command step)', () => {
    const timings: StatementTiming[] = [{ index: 1, start: 0, end: 2000 }];
    const [interval] = lockIntervals(data([run(10, 59)]), timings, null, 2000);
    // Not seen at 90.5, seen at 100.5 -> 95.5; seen at 590.5, not at 600.5 -> 595.5.
    expect(interval).toMatchObject({ statement: 1, start: 95.5, end: 595.5 });
  });

  it('ends a lock still held at the end when the connection closed', () => {
    const statements = splitStatements('BEGIN;\nLOCK TABLE users;');
    const timings: StatementTiming[] = [
      { index: 1, start: 2, end: 3 },
      { index: 2, start: 3, end: 4 },
    ];
    const [interval] = lockIntervals(
      data([run(1, 9, 'AccessExclusiveLock', true)], 10),
      timings,
      statements,
      250,
    );
    expect(interval).toMatchObject({ statement: 2, start: 4, end: 250 });
  });

  it('counts overlapping waits once', () => {
    expect(
      unionLength([
        [0, 100],
        [50, 150],
        [200, 210],
        [205, 207],
      ]),
    ).toBe(160);
    expect(unionLength([])).toBe(0);
  });
});
