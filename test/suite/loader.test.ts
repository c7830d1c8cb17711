import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NotFoundError, SuiteFileError } from '../../src/errors.js';
import { loadSuiteFile, parseSuiteText } from '../../src/suite/loader.js';
import type {
  EtlBranch,
  MigrationBranch,
  PerformanceBranch,
  RollbackBranch,
} from '../../src/suite/schema.js';

const FIXTURES = resolve('test/suite/fixtures');
/** The shipped example is the use-case's suite file, verbatim, with its migrations beside it. */
const EXAMPLES = resolve('examples');
/** The use-case document sits in shared/ beside the repository (for developers and CI alike). */
const USE_CASE_MD = resolve('../shared/examples/use-case.md');

/** Write a suite file (and the files it names) into a fresh directory; returns the file path. */
function suiteDir(yaml: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'vers-db-suite-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  const file = join(dir, 'vers-integration.yaml');
  writeFileSync(file, yaml);
  return file;
}

async function problemsOf(yaml: string, files: Record<string, string> = {}): Promise<string[]> {
  try {
    await loadSuiteFile(suiteDir(yaml, files));
  } catch (err) {
    if (err instanceof SuiteFileError) return [...err.issues];
    throw err;
  }
  throw new Error('expected a SuiteFileError');
}

const MIGRATIONS = { 'migrations/a.sql': 'SELECT 1;', 'migrations/b.sql': 'SELECT 2;' };
const GOOD = `name: t
tests:
  migrations:
    setup:
      - psql -f schema.sql
    checkpoint: base
    branches:
      - name: a
        migration: migrations/a.sql
        metrics: [lock_duration, execution_time]
      - name: b
        migration: migrations/b.sql
`;

describe('suite file: the use-case example', () => {
  it.skipIf(!existsSync(USE_CASE_MD))('examples/vers-integration.yaml is the use-case YAML verbatim', () => {
    const md = readFileSync(USE_CASE_MD, 'utf8');
    const block = /```yaml\n(name: migration-testing[\s\S]*?)```/.exec(md)?.[1];
    expect(block).toBeTruthy();
    expect(readFileSync(join(EXAMPLES, 'vers-integration.yaml'), 'utf8')).toBe(block);
  });

  it('accepts the Complete Example unmodified', async () => {
    const s = await loadSuiteFile(join(EXAMPLES, 'vers-integration.yaml'));
    expect(s.name).toBe('migration-testing');
    expect(s.version).toBe('1.0.0');
    expect(s.vm).toEqual({ memoryMib: 4096, vcpu: 2, storageMib: 16000 });
    expect(s.services).toMatchObject({
      template: 'postgres@15',
      majorVersion: 15,
      databases: ['app'],
      extensions: ['uuid-ossp', 'pg_stat_statements'],
      settings: { shared_buffers: '1GB', log_lock_waits: 'on', deadlock_timeout: '1s' },
    });
    const [suite] = s.suites;
    expect(suite).toMatchObject({
      name: 'migrations',
      pattern: 'migrations',
      checkpoint: 'production-baseline',
    });
    expect(suite!.setup).toEqual([
      'psql -f schema/v1.sql',
      'pg_restore -d app fixtures/production-sample.dump',
    ]);
    const branches = suite!.branches as MigrationBranch[];
    expect(branches.map((b) => b.name)).toEqual([
      'add-column-with-default',
      'add-nullable-backfill',
      'new-table-swap',
    ]);
    expect(branches[0]!.migration).toBe(join(EXAMPLES, 'migrations/v2-strategy-a.sql'));
    expect(branches[0]!.metrics).toEqual(['lock_duration', 'execution_time', 'index_bloat']);
    expect(s.checkpoints).toEqual([
      { name: 'schema-v1', after: { suite: 'migrations', index: 0, raw: 'tests.migrations.setup[0]' } },
      {
        name: 'production-baseline',
        after: { suite: 'migrations', index: 1, raw: 'tests.migrations.setup[1]' },
      },
    ]);
  });

  it('accepts the three Advanced Patterns as written', async () => {
    const rollback = await loadSuiteFile(join(FIXTURES, 'patterns/rollback.yaml'));
    const rb = rollback.suites[0]!.branches[0] as RollbackBranch;
    expect(rollback.suites[0]!.pattern).toBe('rollback');
    expect(rb.steps.map((s) => s.kind)).toEqual(['migration', 'validation', 'rollback', 'validation']);
    expect(rb.expect).toEqual([
      { kind: 'data_preserved', value: true },
      { kind: 'schema_matches', checkpoint: 'v1' },
    ]);

    const etl = await loadSuiteFile(join(FIXTURES, 'patterns/etl.yaml'));
    expect(etl.suites[0]!.pattern).toBe('etl');
    expect(etl.suites[0]!.checkpoint).toBe('source-data-loaded');
    expect((etl.suites[0]!.branches[2] as EtlBranch).command).toBe('python etl/cdc_sync.py');
    expect(etl.suites[0]!.branches[2]!.metrics).toEqual(['row_count', 'data_quality_score', 'lag_time']);

    const perf = await loadSuiteFile(join(FIXTURES, 'patterns/performance.yaml'));
    const p = perf.suites[0]!;
    expect(p.pattern).toBe('performance');
    expect((p.branches[1] as PerformanceBranch).setup).toEqual([
      'CREATE INDEX idx_new ON orders(customer_id, created_at);',
    ]);
    expect(p.compare).toEqual({
      baseline: 'current-schema',
      thresholds: [
        {
          metric: 'p99',
          threshold: { kind: 'relative', raw: '+10%', direction: 'increase', amount: 10, unit: '%' },
        },
      ],
    });
  });
});

describe('suite file: bad input', () => {
  it('a missing suite file is a NotFoundError naming the path', async () => {
    await expect(loadSuiteFile('/nonexistent/vers-integration.yaml')).rejects.toThrow(NotFoundError);
  });

  it('malformed YAML reports line and column', async () => {
    const problems = await problemsOf('name: t\ntests:\n  m:\n    branches: [\n      - name: a\n');
    expect(problems.length).toBeGreaterThanOrEqual(1);
    for (const p of problems) expect(p).toMatch(/^malformed YAML at line \d+, column \d+: /);
    const dup = await problemsOf('name: t\nname: u\ntests: {}\n');
    expect(dup[0]).toMatch(/malformed YAML at line 2, column 1: .*[Mm]ap keys must be unique/);
  });

  it('names unknown keys with the keys allowed there, and where they are', async () => {
    const problems = await problemsOf(
      GOOD.replace('migration: migrations/b.sql', 'migraton: migrations/b.sql'),
      MIGRATIONS,
    );
    expect(problems).toEqual([
      expect.stringMatching(
        /^tests\.migrations\.branches\[1\]\.migraton: unknown key \(allowed here: name, description, migration, .*\) \(line 12, column 9\)$/,
      ),
    ]);
    const top = await problemsOf(`${GOOD}extra: 1\n`, MIGRATIONS);
    expect(top[0]).toMatch(
      /^extra: unknown key \(allowed here: name, version, description, engine, vm, services, tests, checkpoints\)/,
    );
  });

  it('a migration file that does not exist is named with its path in the file', async () => {
    const problems = await problemsOf(GOOD, { 'migrations/a.sql': 'SELECT 1;' });
    expect(problems).toEqual([
      'tests.migrations.branches[1].migration: file not found (migrations/b.sql) (line 12, column 9)',
    ]);
  });

  it('files resolve relative to the suite file, not the working directory', async () => {
    const file = suiteDir(GOOD, MIGRATIONS);
    const s = await loadSuiteFile(file, '/');
    expect((s.suites[0]!.branches[0] as MigrationBranch).migration).toBe(
      join(file, '..', 'migrations/a.sql'),
    );
  });

  it('an unknown metric lists the known ones for the pattern', async () => {
    const problems = await problemsOf(
      GOOD.replace('lock_duration, execution_time', 'lock_duration, lock_time'),
      MIGRATIONS,
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(
      'tests.migrations.branches[0].metrics[1]: unknown metric "lock_time" for the migrations pattern; known: execution_time, lock_duration, index_bloat',
    );
  });

  it('detects duplicate branch names', async () => {
    const problems = await problemsOf(GOOD.replace('- name: b', '- name: a'), MIGRATIONS);
    expect(problems).toEqual([
      expect.stringMatching(
        /^tests\.migrations\.branches\[1\]\.name: duplicate branch name "a" \(also branches\[0\]\)/,
      ),
    ]);
  });

  it('an after: reference that points nowhere says what exists', async () => {
    const problems = await problemsOf(
      `${GOOD}checkpoints:\n  - name: x\n    after: tests.migrations.setup[3]\n  - name: y\n    after: tests.nope.setup[0]\n  - name: z\n    after: setup 1\n`,
      MIGRATIONS,
    );
    expect(problems).toEqual([
      expect.stringContaining(
        'checkpoints[0].after: "tests.migrations.setup[3]" points nowhere: tests.migrations.setup has 1 command(s) (setup[0]..setup[0])',
      ),
      expect.stringContaining(
        'checkpoints[1].after: "tests.nope.setup[0]" points nowhere: there is no suite "nope" (suites: migrations)',
      ),
      expect.stringContaining(
        'checkpoints[2].after: "setup 1" is not a reference; expected tests.<suite>.setup[<index>]',
      ),
    ]);
  });

  it('thresholds that do not parse, or name an unknown metric, are errors', async () => {
    const perf = `tests:
  performance:
    branches:
      - name: base
        queries: q.sql
        metrics: [p99, qps]
      - name: idx
        queries: q.sql
        metrics: [p99, qps]
    compare:
      baseline: base
      threshold:
        p99: "ten percent"
        qps: "+5kg"
        p42: "+1%"
`;
    const problems = await problemsOf(perf, { 'q.sql': 'SELECT 1;' });
    expect(problems).toEqual([
      expect.stringContaining(
        'tests.performance.compare.threshold.p99: "ten percent" is not a threshold; use one of "+10%"',
      ),
      expect.stringContaining('tests.performance.compare.threshold.qps: "+5kg" is not a threshold'),
      expect.stringContaining(
        'tests.performance.compare.threshold.p42: unknown metric "p42" for the performance pattern; known: p50, p95, p99, mean, qps',
      ),
    ]);
    const noThresholds = perf
      .replace('baseline: base', 'baseline: nope')
      .replace(/ {6}threshold:[\s\S]*$/, '');
    const baseline = await problemsOf(noThresholds, { 'q.sql': 'SELECT 1;' });
    expect(baseline[0]).toContain(
      'tests.performance.compare.baseline: names no branch of this suite; branches: base, idx',
    );
  });

  it('lists allowed values, mixed patterns and keys of the wrong pattern', async () => {
    const problems = await problemsOf(
      `tests:
  m:
    pattern: migration
    branches:
      - name: a
        migration: SELECT 1
        queries: q.sql
      - name: b
        command: ./etl.sh
        expect: [{data_preserved: yes}]
`,
    );
    expect(problems).toEqual([
      expect.stringContaining(
        'tests.m.pattern: must be one of "migrations", "rollback", "etl", "performance"',
      ),
      expect.stringContaining(
        'tests.m.branches[1].expect[0]: each expectation is one of {data_preserved: true|false}, {schema_matches: <checkpoint>}',
      ),
    ]);
    const mixed = await problemsOf(
      'tests:\n  m:\n    branches:\n      - name: a\n        migration: SELECT 1\n        queries: q.sql\n      - name: b\n        command: ./etl.sh\n        quality: {sql: SELECT 1}\n        steps: [{migration: SELECT 1}]\n',
      { 'q.sql': '' },
    );
    expect(mixed).toEqual([
      expect.stringContaining(
        'tests.m.branches[0]: mixes patterns: migration (migrations) and queries (performance)',
      ),
      expect.stringContaining('tests.m.branches[1]: mixes patterns: steps (rollback) and command (etl)'),
    ]);
    const wrongKey = await problemsOf(
      'tests:\n  m:\n    branches:\n      - name: a\n        migration: SELECT 1\n        quality: {sql: SELECT 1}\n',
    );
    expect(wrongKey).toEqual([
      expect.stringContaining(
        'tests.m.branches[0].quality: "quality" belongs to the etl pattern, but this suite is a migrations suite',
      ),
    ]);
  });

  it('collects every problem into one error instead of stopping at the first', async () => {
    const problems = await problemsOf(
      GOOD.replace('- name: b', '- name: a').replace('lock_duration', 'lock_time'),
      { 'migrations/a.sql': '' },
    );
    expect(problems).toHaveLength(3); // duplicate name, unknown metric, missing file
    const err = await loadSuiteFile(suiteDir(GOOD, {})).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SuiteFileError);
    expect((err as SuiteFileError).exitCode).toBe(2);
    expect((err as Error).message).toContain('2 problems:');
  });

  it('reads engine: (mariadb is mysql, absent is null) and refuses an unknown one', async () => {
    const text = (engine: string) =>
      `name: e\n${engine}tests:\n  s:\n    branches:\n      - name: a\n        migration: SELECT 1\n`;
    expect(parseSuiteText(text(''), '/x/vers-integration.yaml').engine).toBeNull();
    expect(parseSuiteText(text('engine: mariadb\n'), '/x/vers-integration.yaml').engine).toBe('mysql');
    expect(parseSuiteText(text('engine: postgresql\n'), '/x/vers-integration.yaml').engine).toBe('postgres');
    const problems = await problemsOf(text('engine: oracle\n'));
    expect(problems.join('\n')).toMatch(/engine/);
  });

  it('parseSuiteText takes text directly', () => {
    expect(() => parseSuiteText('just a string', '/x/vers-integration.yaml')).toThrow(SuiteFileError);
  });
});
