/**
 * Issue 15, deploy rehearsal: its settings are checked before any branch exists. Negative or
 * huge values, fractions, and retries without a lock timeout are clear input errors: exit code 2
 * on the CLI, an error result over MCP, never a stack trace.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  backoffDelay,
  DEFAULT_BACKOFF_MS,
  DEFAULT_BUDGET_MS,
  deployRehearsalFrom,
  MAX_BACKOFF_MS,
} from '../src/collector/deploy-options.js';
import { createCheckpoint, testStrategies } from '../src/core/index.js';
import { InvalidInputError } from '../src/errors.js';
import { createServer } from '../src/mcp/create-server.js';
import type { Comparison, StrategyResult } from '../src/result.js';
import { cli } from './helpers/cli.js';
import { createProject, type TestProject } from './helpers/project.js';

const STACK = /^\s+at .+\(?.*:\d+:\d+\)?$/m;

describe('deploy settings', () => {
  it('are off unless a lock timeout is given, and take their defaults with one', () => {
    expect(deployRehearsalFrom(undefined)).toBeNull();
    expect(deployRehearsalFrom({})).toBeNull();
    expect(deployRehearsalFrom({ lockTimeoutMs: 2000 })).toEqual({
      lockTimeoutMs: 2000,
      retries: 0,
      backoffMs: DEFAULT_BACKOFF_MS,
      budgetMs: DEFAULT_BUDGET_MS,
    });
  });

  it('refuse retries, backoff or budget without a lock timeout', () => {
    expect(() => deployRehearsalFrom({ retries: 5 })).toThrow(InvalidInputError);
    expect(() => deployRehearsalFrom({ retries: 5, budgetMs: 100 })).toThrow(
      /--retries \(retries\), --budget \(budget_ms\) without --deploy-lock-timeout/,
    );
  });

  it.each([
    [{ lockTimeoutMs: -1 }, /--deploy-lock-timeout .*-1 is out of range/],
    [{ lockTimeoutMs: 0 }, /--deploy-lock-timeout/],
    [{ lockTimeoutMs: 1e12 }, /--deploy-lock-timeout/],
    [{ lockTimeoutMs: 1.5 }, /--deploy-lock-timeout/],
    [{ lockTimeoutMs: 1000, retries: -1 }, /--retries/],
    [{ lockTimeoutMs: 1000, retries: 1000 }, /--retries/],
    [{ lockTimeoutMs: 1000, backoffMs: -5 }, /--backoff/],
    [{ lockTimeoutMs: 1000, budgetMs: Number.MAX_SAFE_INTEGER }, /--budget/],
  ])('refuse %j', (input, message) => {
    expect(() => deployRehearsalFrom(input)).toThrow(message);
  });

  it('back off by doubling, capped', () => {
    expect([1, 2, 3].map((n) => backoffDelay(n, 1000))).toEqual([1000, 2000, 4000]);
    expect(backoffDelay(20, 1000)).toBe(MAX_BACKOFF_MS);
    expect(backoffDelay(3, 0)).toBe(0);
    // A backoff longer than the cap is the user's choice: kept, never doubled.
    expect(backoffDelay(4, 45_000)).toBe(45_000);
  });
});

describe('deploy settings from the CLI, MCP and the core', () => {
  let p: TestProject;
  let client: Client;
  let closeServer: () => Promise<void>;
  beforeAll(async () => {
    p = await createProject('CREATE TABLE users (id int PRIMARY KEY);');
    await p.file('add.sql', 'ALTER TABLE users ADD COLUMN x int;\n');
    const created = createServer(p.ctx);
    closeServer = created.close;
    const [a, b] = InMemoryTransport.createLinkedPair();
    client = new Client({ name: 'deploy-input', version: '0' });
    await Promise.all([client.connect(a), created.server.connect(b)]);
  });
  afterAll(async () => {
    await client?.close();
    await closeServer?.();
    await p?.cleanup();
  });

  it.each([
    [['--retries', '5'], /without --deploy-lock-timeout/],
    [['--deploy-lock-timeout', '-5'], /deploy-lock-timeout/],
    [['--deploy-lock-timeout', '99999999999'], /expected a whole number from 1 to 600000/],
    [['--deploy-lock-timeout', '1000', '--retries', '1.5'], /--retries.*whole number/],
  ])('CLI %j: exit code 2 and a clear message', async (flags, message) => {
    const r = await cli(['test', 'base', 'add.sql', ...flags], p.env, p.dir);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(STACK);
    expect(r.stdout).toBe('');
  });

  it.each([
    [{ retries: 5 }, /without --deploy-lock-timeout/],
    [{ deploy_lock_timeout_ms: -1 }, /deploy_lock_timeout_ms/],
    [{ deploy_lock_timeout_ms: 1000, budget_ms: 1e10 }, /budget_ms/],
  ])('MCP %j: an error result', async (extra, message) => {
    const r = (await client.callTool({
      name: 'db_test_strategies',
      arguments: { baseline: 'base', migrations: ['add.sql'], ...extra },
    })) as CallToolResult;
    expect(r.isError).toBe(true);
    const text = r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
    expect(text).toMatch(message);
    expect(text).not.toMatch(STACK);
  });

  it('MCP to the collector and back: the rehearsal in structuredContent, the blocked strategy rejected', async () => {
    await createCheckpoint(p.ctx, { tag: 'rehearsed' });
    const r = (await client.callTool({
      name: 'db_test_strategies',
      arguments: {
        baseline: 'rehearsed',
        migrations: ['add.sql'],
        long_reader_ms: 1500,
        deploy_lock_timeout_ms: 300,
      },
    })) as CallToolResult;
    expect(r.isError ?? false).toBe(false);
    const c = r.structuredContent as unknown as Comparison;
    const d = c.results[0]!.deploy!;
    expect(d).toMatchObject({ lock_timeout_ms: 300, retries: 0, got_through: false });
    expect(d.attempts.map((a) => a.outcome)).toEqual(['lock_timeout']);
    expect(c.recommendation).toBeNull();
    expect(c.rejected?.[0]?.reason).toMatch(/^deploy rehearsal: statement 1 .* with no retries/);
    const text = r.content.map((x) => (x.type === 'text' ? x.text : '')).join('\n');
    expect(text).toMatch(/deploy rehearsal/);
  });

  it('db_migration_test: a deploy that does not get through is an error result that says why', async () => {
    const r = (await client.callTool({
      name: 'db_migration_test',
      arguments: {
        baseline: 'rehearsed',
        migration: 'add.sql',
        long_reader_ms: 1500,
        deploy_lock_timeout_ms: 300,
      },
    })) as CallToolResult;
    expect(r.isError).toBe(true);
    const text = r.content.map((x) => (x.type === 'text' ? x.text : '')).join('\n');
    expect(text).toMatch(
      /^the deploy rehearsal did not get through on branch \S+: statement 1 \(line 1\) timed out/,
    );
    expect((r.structuredContent as unknown as StrategyResult).deploy?.got_through).toBe(false);
  });

  it('refuses to rehearse a shell-command migration', async () => {
    await createCheckpoint(p.ctx, { tag: 'base' });
    await expect(
      testStrategies(p.ctx, {
        baseline: 'base',
        migrations: [{ migration: 'psql -c "select 1"', kind: 'command', name: 'cmd' }],
        deploy: { lockTimeoutMs: 1000 },
      }),
    ).rejects.toThrow(/deploy rehearsal runs SQL migrations, and cmd is a shell command/);
    expect(await p.ctx.registry.listBranches()).toEqual([]);
  });
});
