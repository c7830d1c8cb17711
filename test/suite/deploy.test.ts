/** Issue 15: `deploy:` in a migrations suite, checked like the rest of the file. */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createContext } from '../../src/core/context.js';
import { SuiteFileError } from '../../src/errors.js';
import { loadSuiteFile } from '../../src/suite/loader.js';
import { runSuite } from '../../src/suite/runner.js';
import { urlOf } from '../../src/util/pg.js';
import { createTestDatabase, dropTestDatabase, uniqueName } from '../helpers/db.js';

async function load(suite: string) {
  const dir = mkdtempSync(join(tmpdir(), 'vers-db-suite-deploy-'));
  writeFileSync(join(dir, 'a.sql'), 'ALTER TABLE users ADD COLUMN x int;\n');
  writeFileSync(join(dir, 'q.sql'), 'SELECT 1;\n');
  const file = join(dir, 'vers-integration.yaml');
  writeFileSync(file, `tests:\n${suite}`);
  return loadSuiteFile(file);
}

async function problemsOf(suite: string): Promise<string[]> {
  try {
    await load(suite);
  } catch (err) {
    if (err instanceof SuiteFileError) return [...err.issues];
    throw err;
  }
  throw new Error('expected a SuiteFileError');
}

const MIGRATIONS = (deploy: string) =>
  `  m:\n    checkpoint: base\n    deploy: ${deploy}\n    branches:\n      - name: a\n        migration: a.sql\n`;

describe('suite deploy rehearsal', () => {
  it('reads the settings, with defaults', async () => {
    const file = await load(MIGRATIONS('{ lock_timeout_ms: 2000, retries: 5 }'));
    expect(file.suites[0]!.deploy).toEqual({
      lockTimeoutMs: 2000,
      retries: 5,
      backoffMs: 1000,
      budgetMs: 60_000,
    });
    const none = await load(
      '  m:\n    checkpoint: base\n    branches:\n      - name: a\n        migration: a.sql\n',
    );
    expect(none.suites[0]!.deploy).toBeNull();
  });

  it('refuses retries without a lock timeout, bad values, unknown keys and other patterns', async () => {
    expect((await problemsOf(MIGRATIONS('{ retries: 5 }'))).join('\n')).toMatch(/deploy\.lock_timeout_ms/);
    expect((await problemsOf(MIGRATIONS('{ lock_timeout_ms: -1 }'))).join('\n')).toMatch(
      /deploy\.lock_timeout_ms.*at least 1/,
    );
    expect(
      (await problemsOf(MIGRATIONS('{ lock_timeout_ms: 100, budget_ms: 99999999999 }'))).join('\n'),
    ).toMatch(/deploy\.budget_ms.*at most 3600000/);
    expect((await problemsOf(MIGRATIONS('{ lock_timeout_ms: 100, retry: 2 }'))).join('\n')).toMatch(/retry/);
    const perf =
      '  p:\n    checkpoint: base\n    deploy: { lock_timeout_ms: 100 }\n    branches:\n      - name: a\n        setup: a.sql\n        queries: q.sql\n';
    expect((await problemsOf(perf)).join('\n')).toMatch(/deploy.*migrations suites, not performance/);
  });
});

describe('suite deploy rehearsal, run', () => {
  it("gives each branch's result its deploy block", async () => {
    const db = uniqueName('suite_deploy');
    const config = await createTestDatabase(db);
    const ctx = createContext({
      env: {
        ...process.env,
        DATABASE_URL: urlOf(config),
        VERS_DB_HOME: mkdtempSync(join(tmpdir(), 'vers-db-suite-home-')),
      },
      cwd: resolve('.'),
      backend: 'local',
      log: () => {},
    });
    try {
      const dir = mkdtempSync(join(tmpdir(), 'vers-db-deploy-suite-'));
      chmodSync(dir, 0o755); // as root, shell steps run as an unprivileged user
      writeFileSync(join(dir, 'schema.sql'), 'CREATE TABLE users (id int PRIMARY KEY);\n');
      writeFileSync(join(dir, 'b.sql'), 'ALTER TABLE users ADD COLUMN tier integer;\n');
      writeFileSync(
        join(dir, 'vers-integration.yaml'),
        'tests:\n  m:\n    setup: [psql -X -q -v ON_ERROR_STOP=1 -f schema.sql]\n    checkpoint: base\n' +
          '    deploy: { lock_timeout_ms: 500, retries: 2 }\n    branches:\n      - {name: nullable, migration: b.sql}\n',
      );
      const run = await runSuite(ctx, { file: join(dir, 'vers-integration.yaml') });
      const r = run.suites[0]!.comparison.results[0]!;
      expect(r.status, r.error ?? '').toBe('passed');
      expect(r.deploy).toMatchObject({ lock_timeout_ms: 500, retries: 2, got_through: true });
      expect(r.deploy!.statements).toEqual([{ index: 1, attempts: 1, lock_timeouts: 0, got_through: true }]);
    } finally {
      const backend = await ctx.backend().catch(() => null);
      if (backend) await backend.gc().catch(() => undefined);
      await ctx.close();
      await dropTestDatabase(db);
    }
  });
});
