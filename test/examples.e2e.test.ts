/**
 * The use-case's vers-integration.yaml, unmodified, through the CLI as the "done when"
 * runs it: setup (psql + pg_restore of the sample dump), checkpoint, strategies A, B and C,
 * a measured comparison with a recommendation, and the markdown report for a pull request.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SuiteRunResultSchema } from '../src/suite/result.js';
import { urlOf } from '../src/util/pg.js';
import { cli } from './helpers/cli.js';
import { createTestDatabase, dropTestDatabase } from './helpers/db.js';

const EXAMPLES = resolve(import.meta.dirname, '../examples');

describe('examples/vers-integration.yaml', () => {
  let home: string;
  afterAll(async () => {
    await dropTestDatabase('app');
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('reproduces the use-case comparison with measured numbers and a recommendation', async () => {
    // The file's services.postgres.config.databases is [app]: the source database must be `app`.
    await dropTestDatabase('app');
    const config = await createTestDatabase('app');
    home = await mkdtemp(join(tmpdir(), 'vers-db-example-'));
    const md = join(home, 'report.md');
    const env = { DATABASE_URL: urlOf(config), VERS_DB_HOME: join(home, '.vers-db') };
    const r = await cli(
      [
        'run',
        '-f',
        join(EXAMPLES, 'vers-integration.yaml'),
        '--suite',
        'migrations',
        '--json',
        '--markdown',
        md,
      ],
      env,
      EXAMPLES,
    );
    expect(r.exitCode, r.stderr).toBe(0);
    const run = SuiteRunResultSchema.parse(JSON.parse(r.stdout));
    expect(run.mode).toBe('serial');
    const [suite] = run.suites;
    expect(suite!.passed).toBe(true);
    const c = suite!.comparison;
    expect(c.baseline).toBe('production-baseline');
    expect(c.results.map((x) => x.name)).toEqual([
      'add-column-with-default',
      'add-nullable-backfill',
      'new-table-swap',
    ]);
    for (const x of c.results) {
      expect(x.status).toBe('passed');
      expect(x.integrity.row_counts['public.users']).toEqual({ before: 20000, after: 20000 });
    }
    // PostgreSQL 11+: a constant DEFAULT is catalog-only, no strategy rewrites users.
    expect(c.results.flatMap((x) => x.rewrites)).toEqual([]);
    // The backfill leaves dead tuples behind; A does not.
    expect(
      c.results[1]!.bloat.tables.find((t) => t.relation === 'public.users')!.dead_tuples,
    ).toBeGreaterThan(0);
    expect(c.results[0]!.bloat.tables.find((t) => t.relation === 'public.users')!.dead_tuples).toBe(0);
    expect(c.recommendation).not.toBeNull();
    const report = await readFile(md, 'utf8');
    expect(report).toMatch(/Recommendation/);
    expect(report).toContain(c.recommendation!.name);
  });
});
