/**
 * Each rewrite of the catalogue on real PostgreSQL, on tables of a few hundred thousand rows:
 * `test --variants` runs the original and the variant side by side, and the variant must be
 * measured (by the tool's own probes) as blocking the application less, and end in the same
 * schema and data as the original. The ≥ 1 M-row comparison is bench/variants.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCheckpoint } from '../../src/core/index.js';
import type { StrategyResult } from '../../src/result.js';
import { testWithVariants } from '../../src/variants/run.js';
import { createProject, type TestProject } from '../helpers/project.js';

const ROWS = 300_000;

const SCHEMA = `
  CREATE TABLE users (id int PRIMARY KEY, email text, n int NOT NULL, pad text);
  INSERT INTO users SELECT g, 'u' || g || '@example.com', g % 1000, repeat('x', 120) FROM generate_series(1, ${ROWS}) g;
  CREATE TABLE orders (id int PRIMARY KEY, user_id int, total int);
  INSERT INTO orders SELECT g, 1 + g % ${ROWS}, g FROM generate_series(1, ${ROWS}) g;
  ANALYZE;`;

const PARTITIONED = `
  CREATE TABLE events (id int, at int NOT NULL, v int, pad text) PARTITION BY RANGE (at);
  CREATE TABLE events_0 PARTITION OF events FOR VALUES FROM (0) TO (100000);
  CREATE TABLE events_1 PARTITION OF events FOR VALUES FROM (100000) TO (200000);
  CREATE TABLE events_2 PARTITION OF events FOR VALUES FROM (200000) TO (300000);
  INSERT INTO events SELECT g, g, g % 977, repeat('y', 80) FROM generate_series(0, ${ROWS - 1}) g;
  ANALYZE;`;

/** Blocking the application felt: the worse of writes and reads, as the tool measured it. */
const worst = (r: StrategyResult) => Math.max(r.blocking.writes.max_wait_ms, r.blocking.reads.max_wait_ms);

/** Run the original and its variants; the variant must end like the original and block less. */
async function compare(p: TestProject, file: string, sql: string, rewrite: string, superuser = false) {
  {
    const path = await p.file(file, sql);
    const c = await testWithVariants(p.ctx, {
      baseline: 'base',
      migrations: [{ migration: path }],
      superuser,
    });
    const [original, ...rest] = c.results;
    const variant = rest.find((r) => r.name.endsWith(`.${rewrite}`));
    expect(variant, `no ${rewrite} variant: ${JSON.stringify(c.variants)}`).toBeTruthy();
    expect(original!.status).toBe('passed');
    expect(variant!.status, variant!.error ?? '').toBe('passed');
    expect(variant!.equivalence?.differences).toEqual([]);
    expect(variant!.equivalence?.status).toBe('same');
    process.stderr.write(
      `[variants] ${rewrite}: original blocked writes ${original!.blocking.writes.max_wait_ms} ms / reads ${original!.blocking.reads.max_wait_ms} ms in ${Math.round(original!.duration_ms)} ms; ` +
        `variant writes ${variant!.blocking.writes.max_wait_ms} ms / reads ${variant!.blocking.reads.max_wait_ms} ms in ${Math.round(variant!.duration_ms)} ms\n`,
    );
    expect(worst(variant!)).toBeLessThan(worst(original!));
    return { c, original: original!, variant: variant! };
  }
}

describe('test --variants: each rewrite blocks less and ends in the same schema', () => {
  let p: TestProject;

  beforeAll(async () => {
    p = await createProject(SCHEMA);
    await createCheckpoint(p.ctx, { tag: 'base' });
  });

  afterAll(async () => {
    await p.cleanup();
  });

  it('CREATE INDEX → CONCURRENTLY', async () => {
    const { variant } = await compare(
      p,
      'idx.sql',
      'CREATE INDEX users_n ON users (n, email);\n',
      'concurrent-index',
    );
    expect(variant.statements[0]!.sql).toMatch(/CREATE INDEX CONCURRENTLY users_n/);
  });

  it('ADD FOREIGN KEY / ADD CHECK → NOT VALID + VALIDATE', async () => {
    await compare(
      p,
      'fk.sql',
      'ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id);\nALTER TABLE users ADD CHECK (n >= 0);\n',
      'not-valid-constraint',
    );
  });

  it('ADD UNIQUE → unique index CONCURRENTLY, then USING INDEX', async () => {
    const { variant } = await compare(
      p,
      'uniq.sql',
      'ALTER TABLE users ADD UNIQUE (email);\n',
      'unique-using-index',
    );
    expect(variant.statements.map((s) => s.sql).join('\n')).toMatch(/UNIQUE USING INDEX "users_email_key"/);
  });

  it('SET NOT NULL → validated CHECK first', async () => {
    await compare(p, 'nn.sql', 'ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n', 'set-not-null');
  });

  it('one-statement backfill → batches that commit', async () => {
    await compare(p, 'backfill.sql', 'UPDATE users SET n = n + 1;\n', 'batched-backfill');
  });

  it('volatile-default ADD COLUMN → nullable, SET DEFAULT, batches, CHECK, SET NOT NULL', async () => {
    const { c } = await compare(
      p,
      'token.sql',
      'ALTER TABLE users ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();\n',
      'volatile-default',
    );
    expect(c.variants[0]!.variants[0]!.volatile_columns).toEqual(['public.users.token']);
  });

  it('a rewriting type change → expand/contract', async () => {
    await compare(p, 'type.sql', 'ALTER TABLE users ALTER COLUMN n TYPE bigint;\n', 'expand-contract');
  });

  it('with a workload writing meanwhile, judges the end states on a quiet second run', async () => {
    const path = await p.file('nn-w.sql', 'ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n');
    const workload = await p.file(
      'app.sql',
      '-- @rate 50\n-- @concurrency 2\n-- @baseline 500\n-- @after 200\n' +
        '-- @name order\n-- @commit\n-- @param $1 fresh int orders(id)\n' +
        'INSERT INTO orders (id, user_id, total) VALUES ($1, 1, 1) RETURNING id;\n',
    );
    const c = await testWithVariants(p.ctx, {
      baseline: 'base',
      migrations: [{ migration: path }],
      workload: { file: workload },
    });
    const variant = c.results.find((r) => r.name === 'nn-w.set-not-null')!;
    expect(variant.workload?.writes?.committed ?? 0).toBeGreaterThan(0);
    expect(variant.equivalence?.status).toBe('same');
    expect(c.rejected ?? []).toEqual([]);
  });

  it('a strategy that ends differently is listed and not recommended', async () => {
    const original = await p.file('o.sql', 'ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n');
    const other = await p.file('other.sql', 'DELETE FROM users WHERE email IS NULL OR id > 299990;\n');
    const c = await testWithVariants(p.ctx, {
      baseline: 'base',
      migrations: [{ migration: original }, { migration: other }],
      collectMetrics: false,
    });
    const wrong = c.results.find((r) => r.name === 'other')!;
    expect(wrong.equivalence?.status).toBe('different');
    expect(wrong.equivalence?.differences.join('\n')).toMatch(/data of public.users differs/);
    expect(c.recommendation?.name).not.toBe('other');
    expect(c.rejected?.map((r) => r.name)).toContain('other');
  });
});

// In a database of its own, as the sandboxed branch role (partitioned tables are re-owned like any).
describe('test --variants on a partitioned table', () => {
  let p: TestProject;

  beforeAll(async () => {
    p = await createProject(PARTITIONED);
    await createCheckpoint(p.ctx, { tag: 'base' });
  });

  afterAll(async () => {
    await p.cleanup();
  });

  it('CREATE INDEX on a partitioned table → ON ONLY, CONCURRENTLY per partition, ATTACH', async () => {
    const { variant } = await compare(p, 'pidx.sql', 'CREATE INDEX ON events (v);\n', 'partitioned-index');
    expect(variant.statements.map((s) => s.sql).join('\n')).toMatch(
      /ATTACH PARTITION "public"."events_2_v_idx"/,
    );
  });
});
