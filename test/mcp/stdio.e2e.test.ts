/**
 * The real server process, spawned the way Claude Code spawns it (stdio, explicit environment),
 * driven by the SDK Client (which validates structuredContent against the advertised
 * outputSchema) against a real database: checkpoint → migration test → strategies → compare,
 * progress, cancellation, and bad inputs that must come back as clear tool errors.
 *
 * VERS_DB_SERVER_CMD picks the command (default `node --import tsx src/server.ts`; CI can set
 * `node dist/server.js`). VERS_DB_TRANSCRIPT=<file> writes the call transcript there.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BranchComparison, CheckpointReport, Comparison, StrategyResult } from '../../src/result.js';
import { configFromUrl, quoteIdent, urlOf, withClient } from '../../src/util/pg.js';
import { adminConfig, createTestDatabase, serverUrl, uniqueName } from '../helpers/db.js';

const ROOT = resolve(import.meta.dirname, '../..');
const ROWS = 100_000;
const CALL = { timeout: 180_000, resetTimeoutOnProgress: true };

function serverCommand(): { command: string; args: string[] } {
  const [command, ...args] = (
    process.env.VERS_DB_SERVER_CMD?.trim() || 'node --import tsx src/server.ts'
  ).split(/\s+/);
  return { command: command === 'node' ? process.execPath : command!, args };
}

const SEED_SQL = `
  CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
  INSERT INTO users (id, email) SELECT g, 'user' || g || '@example.com' FROM generate_series(1, ${ROWS}) g;
  ANALYZE users;`;

const MIGRATIONS: Record<string, string> = {
  // Constant default: catalog-only since PostgreSQL 11, a brief AccessExclusiveLock.
  'migrations/add_status.sql': `ALTER TABLE users ADD COLUMN status text NOT NULL DEFAULT 'active';\n`,
  // A type change rewrites the table under AccessExclusiveLock: reads and writes wait for all of it.
  'migrations/widen_id.sql': 'ALTER TABLE users ALTER COLUMN id TYPE bigint;\n',
  // Fails at runtime (the column exists), after one statement that succeeded.
  'migrations/duplicate_column.sql':
    'CREATE INDEX users_created_at ON users (created_at);\nALTER TABLE users ADD COLUMN email text;\n',
};

let project: string;
// Known before the tests are collected, so it.each tables can use them.
const database = uniqueName('mcp_e2e');
const tag = `e2e-${database.slice(-8)}`;
let client: Client;
let transport: StdioClientTransport;
let stderr = '';
const protocolErrors: Error[] = [];
const transcript: string[] = [];

function textOf(r: CallToolResult): string {
  return r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

/** One tools/call, recorded for the transcript as "→ tool args" / "← short result". */
async function call(
  name: string,
  args: Record<string, unknown>,
  options: {
    onprogress?: (p: { progress: number; total?: number; message?: string }) => void;
    signal?: AbortSignal;
  } = {},
): Promise<CallToolResult> {
  transcript.push(`→ ${name} ${JSON.stringify(args)}`);
  const started = performance.now();
  try {
    const r = (await client.callTool({ name, arguments: args }, undefined, {
      ...CALL,
      ...options,
    })) as CallToolResult;
    const ms = Math.round(performance.now() - started);
    const first = textOf(r).split('\n').slice(0, 12).join('\n   ');
    transcript.push(`← ${r.isError ? 'isError ' : ''}(${ms} ms) ${first}`);
    return r;
  } catch (err) {
    transcript.push(
      `← rejected after ${Math.round(performance.now() - started)} ms: ${(err as Error).message}`,
    );
    throw err;
  }
}

/** Sessions running the cancellable test migration (matched on the statement, not on this query). */
async function sleepingSessions(): Promise<number> {
  return withClient(adminConfig(), async (c) => {
    const { rows } = await c.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)' AND pid <> pg_backend_pid()",
    );
    return rows[0]!.n;
  });
}

async function vdbDatabases(): Promise<string[]> {
  return withClient(adminConfig(), async (c) => {
    const { rows } = await c.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE 'vdb\\_br\\_%' ORDER BY 1",
    );
    return rows.map((r) => r.datname);
  });
}

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), 'vers-db-mcp-e2e-'));
  await mkdir(join(project, 'migrations'));
  for (const [file, sql] of Object.entries(MIGRATIONS)) await writeFile(join(project, file), sql);
  await createTestDatabase(database, SEED_SQL);

  const { command, args } = serverCommand();
  transport = new StdioClientTransport({
    command,
    args,
    cwd: ROOT,
    stderr: 'pipe',
    // The SDK passes only a safe default environment (PATH, HOME, ...) plus this: nothing leaks in.
    env: {
      DATABASE_URL: urlOf(configFromUrl(serverUrl(), database)),
      VERS_DB_HOME: join(project, '.vers-db'),
      VERS_DB_BACKEND: '',
      CLAUDE_PROJECT_DIR: project,
    },
  });
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  client = new Client({ name: 'vers-db-e2e', version: '0' });
  client.onerror = (err) => protocolErrors.push(err);
  await client.connect(transport);
});

afterAll(async () => {
  await client?.close();
  if (process.env.VERS_DB_TRANSCRIPT)
    await writeFile(process.env.VERS_DB_TRANSCRIPT, `${transcript.join('\n')}\n`);
  // Checkpoints stay until deleted; remove ours and the source database.
  await withClient(adminConfig(), async (c) => {
    const { rows } = await c.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE datname = $1 OR datname LIKE $2',
      [database, `vdb\\_%${tag}%`],
    );
    for (const { datname } of rows) {
      await c.query(`ALTER DATABASE ${quoteIdent(datname)} WITH IS_TEMPLATE false`).catch(() => undefined);
      await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)} WITH (FORCE)`);
    }
  });
  await rm(project, { recursive: true, force: true });
});

describe('vers-db MCP server over stdio', () => {
  it('lists the seven tools with input and output schemas', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'db_branches',
      'db_checkpoint',
      'db_compare_branches',
      'db_migration_test',
      'db_run_suite',
      'db_suggest_variants',
      'db_test_strategies',
    ]);
    for (const tool of tools) {
      expect(tool.inputSchema.type, tool.name).toBe('object');
      expect(tool.outputSchema?.type, tool.name).toBe('object');
    }
    expect(client.getServerVersion()).toMatchObject({ name: 'vers-db', version: '0.1.0' });
    expect(stderr).toContain('ready');
  });

  it('checkpoints the database with exact row counts', async () => {
    const progress: string[] = [];
    const r = await call('db_checkpoint', { tag }, { onprogress: (p) => progress.push(p.message ?? '') });
    expect(r.isError, textOf(r)).toBeFalsy();
    const report = r.structuredContent as CheckpointReport;
    expect(report).toMatchObject({ status: 'checkpoint_created', tag, backend: 'local' });
    expect(report.source).toContain(database);
    expect(report.tables).toContainEqual(expect.objectContaining({ relation: 'public.users', rows: ROWS }));
    expect(progress.length).toBeGreaterThan(0);
  });

  it('tests one migration on a branch, measuring the rewrite and the blocking it causes', async () => {
    const events: { progress: number; message?: string }[] = [];
    const r = await call(
      'db_migration_test',
      { baseline: tag, migration: 'migrations/widen_id.sql', keep_branch: true },
      { onprogress: (p) => events.push(p) },
    );
    expect(r.isError, textOf(r)).toBeFalsy();
    const result = r.structuredContent as StrategyResult;
    expect(result).toMatchObject({
      name: 'widen_id',
      status: 'passed',
      error: null,
      rewrites: ['public.users'],
    });
    expect(result.statements).toHaveLength(1);
    expect(result.locks).toContainEqual(
      expect.objectContaining({ relation: 'public.users', mode: 'AccessExclusiveLock', statement: 1 }),
    );
    expect(result.integrity.ok).toBe(true);
    expect(result.integrity.row_counts['public.users']).toEqual({ before: ROWS, after: ROWS });
    // Rewriting 100k rows takes a while; the write probe waited for it.
    expect(result.blocking.writes.probes).toBeGreaterThan(0);
    expect(result.blocking.writes.max_wait_ms).toBeGreaterThan(10);
    expect(textOf(r)).toContain('rewrites: public.users');
    // Progress arrived, strictly increasing.
    expect(events.length).toBeGreaterThan(1);
    for (let i = 1; i < events.length; i++)
      expect(events[i]!.progress).toBeGreaterThan(events[i - 1]!.progress);
  });

  it('compares strategies and recommends the one that does not rewrite', async () => {
    const r = await call('db_test_strategies', {
      baseline: tag,
      migrations: ['migrations/widen_id.sql', 'migrations/add_status.sql'],
    });
    expect(r.isError, textOf(r)).toBeFalsy();
    const comparison = r.structuredContent as Comparison;
    expect(comparison.results.map((x) => x.name)).toEqual(['widen_id', 'add_status']);
    expect(comparison.results[1]!.rewrites).toEqual([]);
    expect(comparison.recommendation?.name).toBe('add_status');
    expect(comparison.recommendation?.reasons.length).toBeGreaterThan(0);
    expect(textOf(r)).toContain('Recommendation: add_status');
  });

  it('compares a kept branch with its checkpoint and runs a read-only query on it', async () => {
    const list = await call('db_branches', { action: 'list' });
    const branches = (list.structuredContent as { list: { branches: { name: string }[] } }).list.branches;
    expect(branches).toHaveLength(1);
    const branch = branches[0]!.name;
    const r = await call('db_compare_branches', {
      branches: [branch],
      comparison_query: 'SELECT count(*)::int AS n, max(id) AS max_id FROM users',
    });
    expect(r.isError, textOf(r)).toBeFalsy();
    const c = r.structuredContent as BranchComparison;
    expect(c.reference).toBe(tag);
    expect(c.query_results[branch]).toMatchObject({ columns: ['n', 'max_id'], error: null });
    expect(c.query_results[branch]!.rows[0]).toMatchObject({ n: ROWS });
    expect(c.row_counts['public.users']?.[branch]).toBe(ROWS);
    expect(c.schema_differences[branch]!.join('\n')).toMatch(/id/);
  });

  it('refuses a destructive comparison_query, and the data is still there', async () => {
    const branch = (
      (await call('db_branches', { action: 'list' })).structuredContent as {
        list: { branches: { name: string }[] };
      }
    ).list.branches[0]!.name;
    const r = await call('db_compare_branches', {
      branches: [branch],
      comparison_query: 'DELETE FROM users',
    });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/comparison query must only read/);
    const again = await call('db_compare_branches', {
      branches: [branch],
      comparison_query: 'SELECT count(*)::int AS n FROM users',
    });
    expect((again.structuredContent as BranchComparison).query_results[branch]!.rows[0]).toEqual({ n: ROWS });
    const deleted = await call('db_branches', { action: 'delete', name: branch });
    expect(deleted.structuredContent).toMatchObject({ deleted: { removed: branch, kind: 'branch' } });
    expect(await vdbDatabases()).toEqual([]);
  });

  it('stops a cancelled migration and leaves no branch behind', async () => {
    const controller = new AbortController();
    const messages: string[] = [];
    const running = call(
      'db_migration_test',
      { baseline: tag, migration: 'SELECT pg_sleep(30)', name: 'sleepy' },
      {
        signal: controller.signal,
        onprogress: (p) => messages.push(p.message ?? ''),
      },
    );
    // Cancel once the migration is really running on its branch: its pg_sleep is in pg_stat_activity.
    await expect.poll(sleepingSessions, { timeout: 60_000, interval: 100 }).toBe(1);
    await new Promise((r) => setTimeout(r, 1000));
    const cancelledAt = performance.now();
    controller.abort('user cancelled');
    await expect(running).rejects.toThrow(/user cancelled/);
    await expect
      .poll(
        async () => {
          const list = (await client.callTool({
            name: 'db_branches',
            arguments: { action: 'list' },
          })) as CallToolResult;
          return (list.structuredContent as { list: { branches: unknown[] } }).list.branches.length;
        },
        { timeout: 20_000, interval: 250 },
      )
      .toBe(0);
    transcript.push(`   (branch gone ${Math.round(performance.now() - cancelledAt)} ms after the cancel)`);
    expect(await vdbDatabases()).toEqual([]);
    expect(await sleepingSessions()).toBe(0);
    expect(messages.length).toBeGreaterThan(0);
  });

  describe('bad inputs come back as tool errors and the server keeps serving', () => {
    it.each([
      [
        'an unknown baseline',
        'db_migration_test',
        { baseline: 'no-such-checkpoint', migration: 'migrations/add_status.sql' },
        /no-such-checkpoint/,
      ],
      [
        'an invalid checkpoint tag',
        'db_checkpoint',
        { tag: 'bad tag!' },
        /invalid checkpoint tag "bad tag!": it contains " "/,
      ],
      [
        'a missing migration file',
        'db_migration_test',
        { baseline: tag, migration: 'migrations/missing.sql' },
        /migration file not found: migrations\/missing\.sql/,
      ],
      [
        'a branch that does not exist',
        'db_compare_branches',
        { branches: ['nope'] },
        /no branch named "nope"/,
      ],
      ['a missing required argument', 'db_migration_test', { baseline: tag }, /migration/],
    ])('%s', async (_, tool, args, message) => {
      const r = await call(tool, args);
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(message);
      expect(textOf(r)).not.toMatch(/\n\s+at /);
    });

    it('a SQL error in the migration: flagged as an error, with the failing statement in the result', async () => {
      const r = await call('db_migration_test', {
        baseline: tag,
        migration: 'migrations/duplicate_column.sql',
      });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(
        /the migration test failed [^\n]*\n[\s\S]*column "email" of relation "users" already exists/,
      );
      const result = r.structuredContent as StrategyResult;
      expect(result).toMatchObject({ status: 'failed', failed_statement: 2 });
      expect(result.statements[1]).toMatchObject({ index: 2, sqlstate: '42701' });
      expect(await vdbDatabases()).toEqual([]);
    });

    it('still answers after all of that, with nothing but protocol on stdout', async () => {
      const r = await call('db_branches', { action: 'list' });
      expect(r.isError).toBeFalsy();
      expect(r.structuredContent).toMatchObject({ action: 'list', list: { branches: [] } });
      expect(
        (r.structuredContent as { list: { checkpoints: { tag: string }[] } }).list.checkpoints.map(
          (c) => c.tag,
        ),
      ).toEqual([tag]);
      expect(protocolErrors).toEqual([]);
    });
  });
});
