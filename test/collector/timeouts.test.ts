/**
 * Issue 10: no default statement or total timeout existed anywhere, and after `kill -9` of the
 * tool its backends kept running the migration. Now every migration has both limits, and every
 * session the tool opens is bounded on the server (client_connection_check_interval, keepalives,
 * idle timeouts), so a backend whose client died stops within seconds.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { measureMigration } from '../../src/collector/index.js';
import { withClient } from '../../src/util/pg.js';
import { DEFAULT_TIMEOUTS, parseDuration, timeoutsFromEnv } from '../../src/util/timeouts.js';
import { adminConfig } from '../helpers/db.js';
import { testDatabase, usersTableSql } from './fixtures.js';

let drop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await drop?.();
  drop = undefined;
});

async function db() {
  const d = await testDatabase('coll_timeout', usersTableSql(100));
  drop = d.drop;
  return d;
}

describe('migration time limits', () => {
  it('has defaults, and VERS_DB_*_TIMEOUT overrides them', () => {
    expect(DEFAULT_TIMEOUTS).toEqual({
      statementMs: 1_800_000,
      migrationMs: 3_600_000,
      validationMs: 600_000,
      setupMs: 3_600_000,
    });
    expect(
      timeoutsFromEnv({ VERS_DB_STATEMENT_TIMEOUT: '90s', VERS_DB_MIGRATION_TIMEOUT: '2h' }),
    ).toMatchObject({
      statementMs: 90_000,
      migrationMs: 7_200_000,
    });
    expect(parseDuration('1500', 'x')).toBe(1500);
    expect(() => parseDuration('soon', 'VERS_DB_STATEMENT_TIMEOUT')).toThrow(
      'VERS_DB_STATEMENT_TIMEOUT: "soon" is not a duration',
    );
  });

  it('stops a statement at the per-statement limit and says which limit and how to raise it', async () => {
    const d = await db();
    const result = await measureMigration({
      name: 'slow',
      branch: d.name,
      connection: d.config,
      collectMetrics: false,
      migration: { kind: 'sql', sql: 'SELECT 1;\nSELECT pg_sleep(30);\nSELECT 2;' },
      timeouts: { statementMs: 300 },
    });
    expect(result.status).toBe('failed');
    expect(result.statements.map((s) => s.error === null)).toEqual([true, false]);
    expect(result.error).toMatch(
      /^statement 2 \(line 2\): 57014 canceling statement due to statement timeout \(the limit per statement is 300 ms; VERS_DB_STATEMENT_TIMEOUT raises it\)/,
    );
    expect(result.duration_ms).toBeLessThan(10_000);
  });

  it('stops the whole migration at its total limit, cancelling the statement then running', async () => {
    const d = await db();
    const started = Date.now();
    const result = await measureMigration({
      name: 'long',
      branch: d.name,
      connection: d.config,
      collectMetrics: false,
      migration: { kind: 'sql', sql: 'SELECT pg_sleep(0.3);\nSELECT pg_sleep(30);\nSELECT 3;' },
      timeouts: { migrationMs: 1000 },
    });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(result.status).toBe('failed');
    expect(result.statements).toHaveLength(2);
    expect(result.error).toMatch(
      /^statement 2 \(line 2\): 57014 canceling statement due to user request: the migration ran longer than its total limit of 1\.0 s \(VERS_DB_MIGRATION_TIMEOUT\)/,
    );
  });
});

const ROOT = resolve(import.meta.dirname, '../..');
const TSX = pathToFileURL(resolve(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

describe('sessions the tool opens', () => {
  it('carry keepalives, idle limits and client_connection_check_interval', async () => {
    const settings = await withClient(adminConfig(), async (c) =>
      (
        await c.query<{ name: string; setting: string }>(
          `SELECT name, setting FROM pg_settings WHERE name IN
             ('client_connection_check_interval', 'idle_session_timeout', 'idle_in_transaction_session_timeout')
           ORDER BY name`,
        )
      ).rows.map((r) => `${r.name}=${r.setting}`),
    );
    expect(settings).toEqual([
      'client_connection_check_interval=2000',
      'idle_in_transaction_session_timeout=900000',
      'idle_session_timeout=900000',
    ]);
  });

  it('leave no backend running after kill -9 of the process that opened them', async () => {
    const app = `vers-db:kill-test-${process.pid}`;
    const script = `
      import { connect } from ${JSON.stringify(pathToFileURL(resolve(ROOT, 'src/util/pg.ts')).href)};
      const c = await connect(${JSON.stringify(adminConfig())}, ${JSON.stringify(app)});
      await c.query('SELECT pg_sleep(120)');`;
    const child = execa(process.execPath, ['--import', TSX, '--input-type=module', '-e', script], {
      reject: false,
    });
    const running = () =>
      withClient(adminConfig(), async (c) =>
        Number(
          (
            await c.query<{ n: string }>(
              `SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1 AND state = 'active'`,
              [app],
            )
          ).rows[0]!.n,
        ),
      );
    const waitFor = async (want: (n: number) => boolean, ms: number) => {
      const deadline = Date.now() + ms;
      let n = await running();
      while (!want(n) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        n = await running();
      }
      return n;
    };
    expect(await waitFor((n) => n === 1, 60_000)).toBe(1);
    child.kill('SIGKILL');
    await child;
    // Without client_connection_check_interval the backend sleeps on for two minutes.
    expect(await waitFor((n) => n === 0, 10_000)).toBe(0);
  });
});
