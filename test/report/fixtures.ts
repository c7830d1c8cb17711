/**
 * A comparison shaped like the seed's A/B/C migration run, validated against the Result JSON
 * schema so the reports are tested on what the core really returns. The numbers are fixed so the
 * tests can look for each of them in the rendered output.
 */
import { type Comparison, ComparisonSchema, type StrategyResult } from '../../src/result.js';

const idle = { max_wait_ms: 0, blocked_ms: 0, probes: 800, timeouts: 0, errors: 0 };

function base(name: string): StrategyResult {
  return {
    name,
    branch: `vdb_${name.replace(/-/g, '_')}`,
    status: 'passed',
    error: null,
    duration_ms: 0,
    statements: [],
    locks: [],
    blocking: { reads: { ...idle }, writes: { ...idle }, tables: {} },
    rewrites: [],
    bloat: { tables: [] },
    integrity: {
      ok: true,
      row_counts: { 'public.users': { before: 100000, after: 100000 } },
      invalid_indexes: [],
      not_valid_constraints: [],
    },
    validation: null,
  };
}

export const strategyA: StrategyResult = {
  ...base('add-column-with-default'),
  duration_ms: 2437,
  statements: [
    {
      index: 1,
      line: 2,
      sql: 'ALTER TABLE users\nADD COLUMN premium_level INTEGER DEFAULT 0 NOT NULL',
      duration_ms: 2311,
      start_ms: 1,
      error: null,
    },
    {
      index: 2,
      line: 6,
      sql: 'CREATE INDEX CONCURRENTLY idx_users_premium ON users(premium_level)',
      duration_ms: 126,
      start_ms: 2312,
      error: null,
    },
  ],
  locks: [
    {
      relation: 'public.users',
      mode: 'AccessExclusiveLock',
      held_ms: 2290,
      statement: 1,
      start_ms: 3,
      blocked_pids: 2,
    },
    {
      relation: 'public.users',
      mode: 'ShareUpdateExclusiveLock',
      held_ms: 120,
      statement: 2,
      start_ms: 2315,
    },
  ],
  blocking: {
    reads: { max_wait_ms: 2204, blocked_ms: 2251, probes: 412, timeouts: 0, errors: 0 },
    writes: { max_wait_ms: 2198, blocked_ms: 2248, probes: 409, timeouts: 1, errors: 0 },
    tables: {
      'public.users': {
        reads: { max_wait_ms: 2204, blocked_ms: 2251, probes: 206, timeouts: 0, errors: 0 },
        writes: { max_wait_ms: 2198, blocked_ms: 2248, probes: 204, timeouts: 1, errors: 0 },
      },
    },
  },
  rewrites: ['public.users'],
  bloat: {
    tables: [
      {
        relation: 'public.users',
        size_before: 14_680_064,
        size_after: 16_252_928,
        dead_tuples: 0,
        dead_pct: 0,
      },
    ],
  },
  schema_changes: [
    '+ column public.users.premium_level integer NOT NULL DEFAULT 0',
    '+ index public.idx_users_premium',
  ],
  timeline: {
    locks: [
      {
        relation: 'public.users',
        mode: 'AccessExclusiveLock',
        granted: true,
        start_ms: 3,
        end_ms: 2293,
        statement: 1,
      },
      {
        relation: 'public.users',
        mode: 'ShareUpdateExclusiveLock',
        granted: true,
        start_ms: 2315,
        end_ms: 2435,
        statement: 2,
      },
    ],
    waits: [
      { relation: 'public.users', kind: 'read', start_ms: 40, wait_ms: 2204, timed_out: false },
      { relation: 'public.users', kind: 'write', start_ms: 52, wait_ms: 2198, timed_out: true },
    ],
  },
};

export const strategyB: StrategyResult = {
  ...base('add-nullable-backfill'),
  duration_ms: 5312,
  statements: [
    {
      index: 1,
      line: 2,
      sql: 'ALTER TABLE users ADD COLUMN premium_level INTEGER',
      duration_ms: 4,
      start_ms: 1,
      error: null,
    },
    { index: 2, line: 5, sql: 'DO $$ ... $$', duration_ms: 4980, start_ms: 5, error: null },
    {
      index: 3,
      line: 27,
      sql: 'ALTER TABLE users ALTER COLUMN premium_level SET NOT NULL, ALTER COLUMN premium_level SET DEFAULT 0',
      duration_ms: 12,
      start_ms: 4986,
      error: null,
    },
    {
      index: 4,
      line: 32,
      sql: 'CREATE INDEX CONCURRENTLY idx_users_premium ON users(premium_level)',
      duration_ms: 316,
      start_ms: 4998,
      error: null,
    },
  ],
  locks: [
    { relation: 'public.users', mode: 'AccessExclusiveLock', held_ms: 11, statement: 3, start_ms: 4986 },
    { relation: 'public.users', mode: 'RowExclusiveLock', held_ms: 4970, statement: 2, start_ms: 6 },
  ],
  blocking: {
    reads: { max_wait_ms: 9, blocked_ms: 9, probes: 1802, timeouts: 0, errors: 0 },
    writes: { max_wait_ms: 12, blocked_ms: 12, probes: 1790, timeouts: 0, errors: 0 },
    tables: {
      'public.users': {
        reads: { max_wait_ms: 9, blocked_ms: 9, probes: 901, timeouts: 0, errors: 0 },
        writes: { max_wait_ms: 12, blocked_ms: 12, probes: 895, timeouts: 0, errors: 0 },
      },
    },
  },
  bloat: {
    tables: [
      {
        relation: 'public.users',
        size_before: 14_680_064,
        size_after: 29_360_128,
        dead_tuples: 100000,
        dead_pct: 48.7,
      },
    ],
  },
  validation: { status: 'passed', output: 'premium_level set on 100000 rows' },
  schema_changes: [
    '+ column public.users.premium_level integer NOT NULL DEFAULT 0',
    '+ index public.idx_users_premium',
  ],
  timeline: {
    locks: [
      {
        relation: 'public.users',
        mode: 'RowExclusiveLock',
        granted: true,
        start_ms: 6,
        end_ms: 4976,
        statement: 2,
      },
      {
        relation: 'public.users',
        mode: 'AccessExclusiveLock',
        granted: true,
        start_ms: 4986,
        end_ms: 4997,
        statement: 3,
      },
    ],
    waits: [{ relation: 'public.users', kind: 'write', start_ms: 4987, wait_ms: 12, timed_out: false }],
  },
};

export const strategyC: StrategyResult = {
  ...base('new-table-swap'),
  status: 'failed',
  error: 'relation "users_v2" does not exist <script>alert(1)</script>',
  failed_statement: 2,
  duration_ms: 88,
  statements: [
    { index: 1, line: 2, sql: 'CREATE TABLE users_v2 (id UUID PRIMARY KEY)', duration_ms: 7, error: null },
    {
      index: 2,
      line: 10,
      sql: 'INSERT INTO users_v2 SELECT id FROM users',
      duration_ms: 80,
      error: 'column "id" is of type uuid but expression is of type bigint',
      sqlstate: '42804',
    },
  ],
  integrity: {
    ok: false,
    row_counts: { 'public.users': { before: 100000, after: 100000 } },
    invalid_indexes: ['public.idx_users_email'],
    not_valid_constraints: [],
    problems: ['invalid index public.idx_users_email'],
  },
  validation: { status: 'failed', output: 'expected 100000 rows in users, found 0 & <none>' },
};

export const comparison: Comparison = ComparisonSchema.parse({
  baseline: 'production-baseline',
  backend: 'local',
  mode: 'serial',
  results: [strategyA, strategyB, strategyC],
  recommendation: {
    name: 'add-nullable-backfill',
    reasons: [
      'writes to public.users never waited more than 12 ms; add-column-with-default blocked them for 2.2 s: AccessExclusiveLock during statement 1',
    ],
  },
  rejected: [{ name: 'new-table-swap', reason: 'statement 2 failed: column "id" is of type uuid' }],
});
