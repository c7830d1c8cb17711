/**
 * Suite runs end to end on the real PostgreSQL of the test run: each example of examples/suites,
 * a migrations suite, and the failures a suite must catch (a rollback that does not restore v1,
 * a p99 regression over the threshold, a source database with someone else's tables).
 */
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Context, createContext } from '../../src/core/context.js';
import { ConflictError } from '../../src/errors.js';
import { renderSuiteHtml } from '../../src/report/html.js';
import { renderSuiteJUnit } from '../../src/report/junit.js';
import { renderSuiteMarkdown } from '../../src/report/markdown.js';
import { renderSuiteRun } from '../../src/report/suite.js';
import { renderComparisonTable } from '../../src/report/table.js';
import { SuiteRunResultSchema } from '../../src/suite/result.js';
import { runSuite } from '../../src/suite/runner.js';
import { urlOf, withClient } from '../../src/util/pg.js';
import { createTestDatabase, dropTestDatabase, uniqueName } from '../helpers/db.js';
import { findAll, parseXml } from '../report/xml.js';

const EXAMPLES = resolve('examples/suites');
const contexts: { ctx: Context; db: string }[] = [];

async function freshContext(): Promise<{ ctx: Context; logs: string[] }> {
  const db = uniqueName('suite');
  const config = await createTestDatabase(db);
  const logs: string[] = [];
  const ctx = createContext({
    env: {
      ...process.env,
      DATABASE_URL: urlOf(config),
      VERS_DB_HOME: mkdtempSync(join(tmpdir(), 'vers-db-suite-home-')),
    },
    cwd: resolve('.'),
    backend: 'local',
    log: (m) => logs.push(m),
  });
  contexts.push({ ctx, db });
  return { ctx, logs };
}

afterAll(async () => {
  for (const { ctx, db } of contexts) {
    const backend = await ctx.backend().catch(() => null);
    if (backend) await backend.gc().catch(() => undefined);
    await ctx.close();
    await dropTestDatabase(db);
  }
});

/** Copy an example into a temp dir so a test can change one file of it. */
function copyExample(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `vers-db-${name}-`));
  cpSync(join(EXAMPLES, name), dir, { recursive: true });
  // As root, shell steps run as an unprivileged user, which must be able to enter the suite's folder.
  chmodSync(dir, 0o755);
  return dir;
}

describe('rollback suite', () => {
  it('the example passes: up, validate, down, validate, and v1 is back (schema and checksums)', async () => {
    const { ctx } = await freshContext();
    const run = await runSuite(ctx, { file: join(EXAMPLES, 'rollback/vers-integration.yaml') });
    expect(SuiteRunResultSchema.parse(run)).toBeTruthy();
    const [suite] = run.suites;
    expect(suite!.failures).toEqual([]);
    expect(suite!.passed).toBe(true);
    expect(run.mode).toBe('serial');
    expect(run.checkpoints.map((c) => c.name)).toEqual(['v1']);
    const r = suite!.comparison.results[0]!;
    expect(r.status).toBe('passed');
    expect(r.schema_changes).toEqual([]);
    expect(r.validation?.status).toBe('passed');
    expect(r.validation?.output).toContain('users without premium_level: 0; idx_users_premium present: 1');
    expect(r.validation?.output).toContain('premium_level columns: 0; users: 5000; orders: 10000');
    expect(suite!.checks.map((c) => [c.check, c.passed])).toEqual([
      ['steps[1] validation', true],
      ['steps[3] validation', true],
      ['expect data_preserved', true],
      ['expect schema_matches v1', true],
    ]);
    // the branch's result is the up migration's measurement (statements as run, with timings)
    expect(r.statements.map((st) => st.sql.split(' ').slice(0, 3).join(' '))).toEqual([
      'ALTER TABLE users',
      'CREATE INDEX idx_users_premium',
    ]);
    expect(r.metrics?.lock_duration).toBeTypeOf('number');
    expect(r.metrics?.execution_time).toBe(r.duration_ms);

    // Running it again rebuilds the source it made and replaces its checkpoint.
    const again = await runSuite(ctx, { file: join(EXAMPLES, 'rollback/vers-integration.yaml') });
    expect(again.passed).toBe(true);
  });

  it('a down migration that forgets the index and loses a row fails both expectations, naming them', async () => {
    const { ctx } = await freshContext();
    const dir = copyExample('rollback');
    // Drops the column (and its index with it) but also deletes an order and leaves a stray index.
    writeFileSync(
      join(dir, 'migrations/v2-down.sql'),
      'ALTER TABLE users DROP COLUMN premium_level;\nDELETE FROM orders WHERE id = 1;\nCREATE INDEX stray_idx ON users (name);\n',
    );
    writeFileSync(join(dir, 'scripts/validate-v1.sh'), 'exit 0\n');
    const run = await runSuite(ctx, { file: join(dir, 'vers-integration.yaml') });
    const [suite] = run.suites;
    expect(suite!.passed).toBe(false);
    const byName = Object.fromEntries(suite!.checks.map((c) => [c.check, c]));
    expect(byName['expect data_preserved']!.passed).toBe(false);
    expect(byName['expect data_preserved']!.detail).toBe(
      'changed or missing after the rollback: public.orders',
    );
    expect(byName['expect schema_matches v1']!.passed).toBe(false);
    expect(byName['expect schema_matches v1']!.detail).toContain('stray_idx');
    expect(suite!.failures.length).toBe(2);
  });
});

describe('ETL suite', () => {
  it('the example passes with row counts, quality from SQL and from the job, sync and lag time', async () => {
    const { ctx } = await freshContext();
    const run = await runSuite(ctx, { file: join(EXAMPLES, 'etl/vers-integration.yaml') });
    const [suite] = run.suites;
    expect(suite!.failures).toEqual([]);
    const m = Object.fromEntries(suite!.comparison.results.map((r) => [r.name, r.metrics ?? {}]));
    // 500 users, but the 10 whose every event has amount 'n/a' (g % 50 = 0) get no totals row;
    // those 400 events are 2 % of the 20,000
    expect(m['etl-full']).toMatchObject({ row_count: 490, data_quality_score: 0.98 });
    expect(m['etl-full']!.sync_time).toBeGreaterThan(0);
    expect(m['etl-incremental']).toMatchObject({ row_count: 490, data_quality_score: 0.98 });
    // the CDC job trails by 10 minutes of events (one per second): the newest it applied is event
    // 19,400, which is invalid, so its totals reach event 19,399: 601 s behind event 20,000. Of
    // the 600 events left behind 588 are valid and missing from the totals.
    expect(m['etl-cdc']!.lag_time).toBe(601_000);
    expect(m['etl-cdc']!.data_quality_score).toBeCloseTo((19_600 - 588) / 20_000, 4);
    expect(suite!.checks.filter((c) => c.check.startsWith('threshold')).every((c) => c.passed)).toBe(true);
  });
});

describe('performance suite', () => {
  it('the example measures p50/p95/p99/qps and passes: the new index makes p99 better', async () => {
    const { ctx } = await freshContext();
    const run = await runSuite(ctx, { file: join(EXAMPLES, 'performance/vers-integration.yaml') });
    const [suite] = run.suites;
    expect(suite!.failures).toEqual([]);
    const [base, indexed] = suite!.comparison.results;
    for (const r of [base!, indexed!]) {
      expect(Object.keys(r.metrics!)).toEqual(['p50', 'p95', 'p99', 'qps']);
      expect(r.metrics!.p50!).toBeLessThanOrEqual(r.metrics!.p95!);
      expect(r.metrics!.p95!).toBeLessThanOrEqual(r.metrics!.p99!);
      expect(r.metrics!.qps!).toBeGreaterThan(0);
    }
    expect(indexed!.metrics!.p99!).toBeLessThan(base!.metrics!.p99!);
    expect(indexed!.statements[0]!.sql).toContain('CREATE INDEX idx_new');
    const check = suite!.checks.find((c) => c.check === 'threshold p99 +10%')!;
    expect(check).toMatchObject({ branch: 'with-new-index', passed: true });
    process.stderr.write(`performance example: ${check.detail}\n`);
    const text = renderSuiteRun(run);
    expect(text).toContain('✓ with-new-index: threshold p99 +10% — p99 ');
    expect(text).toMatch(/│ p50\s+│ p95\s+│ p99\s+│ qps\s+│/);
    expect(text).toContain('branches run serially');
  });

  it('a p99 regression beyond +10% fails the run and the JUnit testcase of that branch', async () => {
    const { ctx } = await freshContext();
    const dir = copyExample('performance');
    // Baseline has the index; the candidate drops it: every query goes back to a scan.
    const yaml = readFileSync(join(dir, 'vers-integration.yaml'), 'utf8')
      .replace(
        '      - name: current-schema\n',
        '      - name: current-schema\n        setup: CREATE INDEX idx_new ON orders(customer_id, created_at);\n',
      )
      .replace(
        '      - name: with-new-index\n        setup: CREATE INDEX idx_new ON orders(customer_id, created_at);',
        '      - name: with-new-index\n        setup: SELECT 1;',
      );
    writeFileSync(join(dir, 'vers-integration.yaml'), yaml);
    const run = await runSuite(ctx, { file: join(dir, 'vers-integration.yaml') });
    expect(run.passed).toBe(false);
    const check = run.suites[0]!.checks.find((c) => c.check === 'threshold p99 +10%')!;
    expect(check.passed).toBe(false);
    expect(check.detail).toMatch(/^p99 [\d.]+ ms vs baseline [\d.]+ ms \(\+[\d.]+%\) exceeds \+10%$/);
    const junit = parseXml(renderSuiteJUnit(run));
    const cases = findAll(junit, 'testcase');
    expect(cases.map((c) => [c.attrs.name, findAll(c, 'failure').length])).toEqual([
      ['current-schema', 0],
      ['with-new-index', 1],
    ]);
  });
});

describe('migrations suite', () => {
  it('runs each branch through testMigration, adds the asked metrics and recommends one', async () => {
    const { ctx } = await freshContext();
    const dir = mkdtempSync(join(tmpdir(), 'vers-db-migrations-'));
    chmodSync(dir, 0o755); // as root, shell steps run as an unprivileged user
    writeFileSync(
      join(dir, 'schema.sql'),
      "CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL);\nINSERT INTO users (email) SELECT 'u' || g FROM generate_series(1, 20000) g;\n",
    );
    writeFileSync(
      join(dir, 'a.sql'),
      'ALTER TABLE users ADD COLUMN premium_level integer NOT NULL DEFAULT 0;\nUPDATE users SET premium_level = 1;\n',
    );
    writeFileSync(join(dir, 'b.sql'), 'ALTER TABLE users ADD COLUMN premium_level integer;\n');
    writeFileSync(
      join(dir, 'vers-integration.yaml'),
      `name: m
tests:
  migrations:
    setup: [psql -X -q -v ON_ERROR_STOP=1 -f schema.sql]
    checkpoint: base
    branches:
      - {name: rewrite-all, migration: a.sql, metrics: [lock_duration, execution_time, index_bloat, dead_tuples]}
      - {name: nullable, migration: b.sql, metrics: [lock_duration, execution_time, index_bloat, dead_tuples]}
`,
    );
    const run = await runSuite(ctx, { file: join(dir, 'vers-integration.yaml'), parallel: 2 });
    const [suite] = run.suites;
    expect(suite!.passed).toBe(true);
    expect(run.mode).toBe('parallel');
    expect(suite!.comparison.mode).toBe('parallel');
    const [a, b] = suite!.comparison.results;
    for (const r of [a!, b!]) {
      for (const k of ['dead_tuples', 'execution_time', 'index_bloat', 'lock_duration'])
        expect(r.metrics![k], k).toBeTypeOf('number');
    }
    // An UPDATE of every row: ~20k dead tuples (page pruning during the UPDATE may reclaim a handful).
    expect(a!.metrics!.dead_tuples).toBeGreaterThanOrEqual(19_900);
    expect(b!.metrics!.dead_tuples).toBe(0);
    expect(a!.metrics!.index_bloat).toBeGreaterThan(b!.metrics!.index_bloat!); // the pkey churned through 20k updates
    expect(suite!.comparison.recommendation).not.toBeNull();
    // The HTML page of a real run: lock timelines from measured intervals (rendered in the HTML test).
    mkdirSync('test-results', { recursive: true });
    writeFileSync('test-results/suite-migrations.html', renderSuiteHtml(run));
    // rewrite-all's UPDATE holds a RowExclusiveLock through 20k row updates: long enough that the
    // 10 ms sampler must have seen it (the ALTER's AccessExclusiveLock may be too brief to sample).
    expect(renderSuiteHtml(run)).toMatch(/<svg class="timeline"[\s\S]*public\.users · RowExclusiveLock/);
    const md = renderSuiteMarkdown(run);
    expect(md).toContain('run in parallel');
    expect(renderComparisonTable(suite!.comparison)).toContain('rewrite-all');
    // Branches were removed after measuring.
    const left = await ctx.registry.listBranches('local');
    expect(left).toEqual([]);
  });

  it('refuses to run setup against a database that holds tables it did not create', async () => {
    const { ctx } = await freshContext();
    const backend = await ctx.backend();
    const source = await backend.connectSource();
    await withClient(source.config, (c) => c.query('CREATE TABLE precious (id int)'));
    await expect(runSuite(ctx, { file: join(EXAMPLES, 'rollback/vers-integration.yaml') })).rejects.toThrow(
      ConflictError,
    );
    const still = await withClient(
      source.config,
      async (c) => (await c.query("SELECT to_regclass('precious') AS t")).rows[0].t,
    );
    expect(still).toBe('precious');
  });
});
