/**
 * What Claude Code receives from the test tools: a concise text, structuredContent without the raw
 * timelines, `resource_link`s to the written reports, and a raised result cap on tools whose
 * results can be long. A large suite's result must stay well under Claude Code's 25 k-token cap.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type Context, createContext } from '../../src/core/index.js';
import { createServer } from '../../src/mcp/create-server.js';
import { MAX_RESULT_SIZE_META, registerTools } from '../../src/mcp/register.js';
import type { StrategyResult } from '../../src/result.js';
import { type SuiteRunResult, SuiteRunResultSchema } from '../../src/suite/result.js';
import { dbRunSuite } from '../../src/tools/db-run-suite.js';
import { dbTestStrategies } from '../../src/tools/db-test-strategies.js';
import { strategyA, strategyB, strategyC } from '../report/fixtures.js';

let home: string;
const closers: (() => Promise<unknown>)[] = [];

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'vers-db-results-'));
});
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await rm(home, { recursive: true, force: true });
});

const context = (): Context => createContext({ env: { VERS_DB_HOME: home }, cwd: home, log: () => {} });

async function connect(server: McpServer): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'test', version: '0' });
  await Promise.all([client.connect(clientSide), server.connect(serverSide)]);
  closers.push(() => client.close());
  return client;
}

const idle = { max_wait_ms: 0, blocked_ms: 0, probes: 400, timeouts: 0, errors: 0 };

/**
 * A strategy as a long run on a big schema leaves it: thousands of lock intervals and probe waits,
 * 200 more tables probed that never waited, one that did.
 */
function busyStrategy(base: StrategyResult, name: string): StrategyResult {
  const tables = Array.from({ length: 200 }, (_, i) => `public.table_${i}`);
  const blocked = { ...idle, max_wait_ms: 1200, blocked_ms: 1500 };
  return {
    ...base,
    name,
    blocking: {
      ...base.blocking,
      tables: {
        ...base.blocking.tables,
        ...Object.fromEntries(tables.map((t) => [t, { reads: idle, writes: idle }])),
        'public.busy': { reads: idle, writes: blocked },
        'public.remote': {
          reads: { ...idle, probes: 0, status: 'unmeasured' as const },
          writes: { ...idle, probes: 0, status: 'unmeasured' as const },
        },
      },
    },
    timeline: {
      locks: Array.from({ length: 3000 }, (_, i) => ({
        relation: tables[i % 200]!,
        mode: 'RowExclusiveLock',
        granted: true,
        start_ms: i * 3,
        end_ms: i * 3 + 2,
        statement: 1 + (i % 7),
      })),
      waits: Array.from({ length: 3000 }, (_, i) => ({
        relation: tables[i % 200]!,
        kind: i % 2 ? ('read' as const) : ('write' as const),
        start_ms: i * 3,
        wait_ms: 1.5,
        timed_out: false,
      })),
    },
  };
}

/** Four suites of six strategies each. */
function largeSuiteRun(): SuiteRunResult {
  const bases = [strategyA, strategyB, strategyC];
  return SuiteRunResultSchema.parse({
    file: 'vers-integration.yaml',
    mode: 'serial',
    passed: true,
    duration_ms: 600_000,
    checkpoints: [{ name: 'baseline', after: null, duration_ms: 1200 }],
    suites: Array.from({ length: 4 }, (_, s) => ({
      name: `suite-${s}`,
      pattern: 'migrations',
      checkpoint: 'baseline',
      passed: true,
      failures: [],
      checks: [],
      comparison: {
        baseline: 'baseline',
        backend: 'local',
        results: Array.from({ length: 6 }, (_, i) => busyStrategy(bases[i % 3]!, `s${s}-strategy-${i}`)),
        recommendation: { name: `s${s}-strategy-0`, reasons: ['writes were never blocked'] },
      },
    })),
  });
}

it('registers the long-result tools with a raised anthropic/maxResultSizeChars', async () => {
  const { server, close } = createServer(context());
  closers.push(close);
  const { tools } = await (await connect(server)).listTools();
  const capped = tools.filter((t) => t._meta?.[MAX_RESULT_SIZE_META]).map((t) => t.name);
  expect(capped).toEqual(expect.arrayContaining(['db_test_strategies', 'db_run_suite']));
  for (const t of tools.filter((x) => x._meta?.[MAX_RESULT_SIZE_META]))
    expect(t._meta?.[MAX_RESULT_SIZE_META]).toBeLessThanOrEqual(500_000);
});

it('keeps a large suite result well under 25 k tokens, with the timelines in the linked reports', async () => {
  const run = largeSuiteRun();
  const raw = JSON.stringify(run).length;
  const ctx = context();
  const server = new McpServer({ name: 't', version: '0' });
  registerTools(server, ctx, { shutdown: new AbortController().signal, running: new Set() }, [
    { ...dbRunSuite, handler: async () => run },
  ]);
  const client = await connect(server);
  const r = (await client.callTool({ name: 'db_run_suite', arguments: {} })) as CallToolResult;

  const textChars = JSON.stringify(r.content).length;
  const structuredChars = JSON.stringify(r.structuredContent).length;
  console.error(
    `large suite: raw result ${raw} chars; sent text ${textChars} chars, structuredContent ${structuredChars}`,
  );
  // ~4 characters per token: 25 k tokens ≈ 100 k characters. The text (what the model reads) stays
  // far under it, and so do text and structuredContent together, for a client that counted both.
  expect(textChars).toBeLessThan(20_000);
  expect(textChars + structuredChars).toBeLessThan(75_000);
  expect(raw).toBeGreaterThan(1_000_000);
  const structured = r.structuredContent as SuiteRunResult;
  expect(structured.suites).toHaveLength(4);
  expect(structured.suites[0]!.comparison.results[0]!.timeline).toBeUndefined();
  const tables = structured.suites[0]!.comparison.results[0]!.blocking.tables;
  expect(tables['public.busy']?.writes.max_wait_ms).toBe(1200);
  expect(tables['public.remote']?.reads.status).toBe('unmeasured');
  expect(tables['public.table_39']).toBeUndefined();

  const links = r.content.filter((c) => c.type === 'resource_link');
  expect(links.map((l) => l.mimeType)).toEqual(['text/html', 'text/markdown', 'application/xml']);
  for (const link of links) {
    expect(link.uri).toMatch(/^file:\/\//);
    const path = fileURLToPath(link.uri);
    expect(path.startsWith(join(home, 'reports'))).toBe(true);
    expect(existsSync(path)).toBe(true);
  }
  const html = await readFile(fileURLToPath(links[0]!.uri), 'utf8');
  expect(html).toContain('<svg');
  const text = r.content.find((c) => c.type === 'text');
  expect(text?.type === 'text' && text.text).toContain(fileURLToPath(links[0]!.uri));
});

it('links the reports of a strategy comparison and sends it without timelines', async () => {
  const ctx = context();
  const server = new McpServer({ name: 't', version: '0' });
  const comparison = {
    baseline: 'base',
    backend: 'local' as const,
    results: [busyStrategy(strategyA, 'a'), busyStrategy(strategyB, 'b')],
    recommendation: { name: 'a', reasons: ['faster'] },
  };
  registerTools(server, ctx, { shutdown: new AbortController().signal, running: new Set() }, [
    { ...dbTestStrategies, handler: async () => comparison },
  ]);
  const client = await connect(server);
  const r = (await client.callTool({
    name: 'db_test_strategies',
    arguments: { baseline: 'base', migrations: ['a.sql'] },
  })) as CallToolResult;
  expect(r.isError).toBeFalsy();
  expect((r.structuredContent as { results: StrategyResult[] }).results.every((x) => !x.timeline)).toBe(true);
  expect(r.content.filter((c) => c.type === 'resource_link')).toHaveLength(3);
});

it('cuts statement text in structuredContent to its start', async () => {
  const { slimStrategy } = await import('../../src/tools/reports.js');
  const huge = `INSERT INTO t VALUES ${'(1),'.repeat(50_000)}(1)`;
  const slim = slimStrategy({ ...strategyA, statements: [{ ...strategyA.statements[0]!, sql: huge }] });
  expect(slim.statements[0]!.sql.length).toBeLessThan(600);
  expect(slim.statements[0]!.sql).toContain(`(${huge.length} characters)`);
});
