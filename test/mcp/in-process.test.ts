/**
 * The server in-process over InMemoryTransport with the SDK Client: what tools/list advertises,
 * and what the registration loop does with progress, cancellation, failures and errors. The loop
 * is exercised with a small probe tool so each behaviour can be driven precisely.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { type Context, createContext } from '../../src/core/index.js';
import { CancelledError, NotFoundError } from '../../src/errors.js';
import { createServer } from '../../src/mcp/create-server.js';
import { type CallTracker, registerTools } from '../../src/mcp/register.js';
import { defineTool } from '../../src/tools/define.js';
import { TOOLS } from '../../src/tools/index.js';

let home: string;
let logs: string[];
const closers: (() => Promise<unknown>)[] = [];

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'vers-db-mcp-'));
  logs = [];
});
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await rm(home, { recursive: true, force: true });
});

function context(backend?: string): Context {
  return createContext({ env: { VERS_DB_HOME: home }, cwd: home, backend, log: (m) => logs.push(m) });
}

async function connect(server: McpServer): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'test', version: '0' });
  await Promise.all([client.connect(clientSide), server.connect(serverSide)]);
  closers.push(() => client.close());
  return client;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const textOf = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

describe('tools/list', () => {
  it('advertises every tool with title, schemas and all four hints, and the instructions', async () => {
    const { server, close } = createServer(context());
    closers.push(close);
    const client = await connect(server);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(TOOLS.map((t) => t.name));
    for (const tool of tools) {
      expect(tool.title).toBeTruthy();
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.outputSchema?.type).toBe('object');
      expect(tool.annotations).toMatchObject({
        readOnlyHint: expect.any(Boolean),
        destructiveHint: expect.any(Boolean),
        idempotentHint: expect.any(Boolean),
        openWorldHint: false,
      });
    }
    const migration = tools.find((t) => t.name === 'db_migration_test')!;
    expect(migration.inputSchema.required).toEqual(['baseline', 'migration']);
    expect(migration.outputSchema?.required).toEqual(expect.arrayContaining(['status', 'locks', 'blocking']));
    expect(client.getInstructions()).toContain('db_checkpoint');
  });

  it('says openWorldHint on the vers backend, which drives remote VMs', async () => {
    const { server, close } = createServer(context('vers'));
    closers.push(close);
    const { tools } = await (await connect(server)).listTools();
    for (const tool of tools) expect(tool.annotations?.openWorldHint, tool.name).toBe(true);
  });
});

describe('real tools, answered before any database is needed', () => {
  let client: Client;
  beforeEach(async () => {
    const { server, close } = createServer(context());
    closers.push(close);
    client = await connect(server);
  });

  it('db_run_suite names the suite file it could not find', async () => {
    const r = (await client.callTool({
      name: 'db_run_suite',
      arguments: { file: 'no-such-suite.yaml' },
    })) as CallToolResult;
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/no-such-suite\.yaml/);
  });

  it('db_branches delete without a name says which field is missing', async () => {
    const r = (await client.callTool({
      name: 'db_branches',
      arguments: { action: 'delete' },
    })) as CallToolResult;
    expect(r.isError).toBe(true);
    expect(textOf(r)).toContain('db_branches action "delete" needs `name or tag`');
    expect(textOf(r)).toContain('hint:');
  });

  it('rejects arguments that do not match the input schema as a tool error naming the field', async () => {
    const r = (await client.callTool({
      name: 'db_test_strategies',
      arguments: { baseline: 'b', migrations: [] },
    })) as CallToolResult;
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/migrations/);
  });
});

describe('the registration loop', () => {
  const seen: { aborted?: boolean; args?: unknown } = {};
  const probe = defineTool({
    name: 'probe',
    title: 'Probe',
    description: 'drives the registration loop',
    inputSchema: z.object({ mode: z.enum(['progress', 'wait', 'typed', 'unknown', 'failed']) }),
    outputSchema: z.object({ status: z.enum(['passed', 'failed']), steps: z.number() }),
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    async handler({ mode }, { signal, onProgress }) {
      seen.args = mode;
      if (mode === 'progress') {
        // Spaced past the loop's 100 ms interval; the terminal step is left to the response.
        onProgress({ message: 'one' });
        await sleep(120);
        onProgress({ message: 'two', progress: 5, total: 10 });
        await sleep(120);
        onProgress({ message: 'three', progress: 2 });
        await sleep(120);
        onProgress({ message: 'done', progress: 10, total: 10 });
        return { status: 'passed' as const, steps: 4 };
      }
      if (mode === 'wait') {
        await new Promise<void>((resolve) =>
          signal.addEventListener('abort', () => resolve(), { once: true }),
        );
        seen.aborted = signal.aborted;
        throw new CancelledError();
      }
      if (mode === 'typed')
        throw new NotFoundError('checkpoint "nope" does not exist', { hint: 'run db_checkpoint' });
      if (mode === 'unknown') throw new TypeError('cannot read properties of undefined');
      return { status: 'failed' as const, steps: 1 };
    },
    render: (r) => `probe ${r.status} after ${r.steps} steps`,
    failure: (r) => (r.status === 'failed' ? 'the probe failed' : null),
  });

  let client: Client;
  let shutdown: AbortController;
  let tracker: CallTracker;
  beforeEach(async () => {
    seen.aborted = undefined;
    const server = new McpServer({ name: 'probe', version: '0' });
    shutdown = new AbortController();
    tracker = { shutdown: shutdown.signal, running: new Set() };
    registerTools(server, context(), tracker, [probe]);
    client = await connect(server);
  });

  it('returns structuredContent and the short text', async () => {
    const r = (await client.callTool({ name: 'probe', arguments: { mode: 'progress' } })) as CallToolResult;
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent).toEqual({ status: 'passed', steps: 4 });
    expect(textOf(r)).toBe('probe passed after 4 steps');
  });

  it('forwards progress with strictly increasing counters, all before the response', async () => {
    const events: { progress: number; total?: number; message?: string }[] = [];
    const errors: Error[] = [];
    client.onerror = (err) => errors.push(err);
    await client.callTool({ name: 'probe', arguments: { mode: 'progress' } }, undefined, {
      onprogress: (p) => events.push(p),
    });
    // A notification after the response would be "for an unknown token", which makes Claude Code
    // close the transport; none may arrive late, and the terminal step is not sent at all.
    expect(errors).toEqual([]);
    expect(events).toEqual([
      { progress: 0, message: 'one' },
      { progress: 5, total: 10, message: 'two' },
      { progress: 6, message: 'three' },
    ]);
  });

  it('aborts the handler signal when the client cancels', async () => {
    const controller = new AbortController();
    const call = client.callTool({ name: 'probe', arguments: { mode: 'wait' } }, undefined, {
      signal: controller.signal,
    });
    await expect.poll(() => tracker.running.size).toBe(1);
    controller.abort('user pressed Esc');
    await expect(call).rejects.toThrow(/user pressed Esc/);
    await expect.poll(() => seen.aborted).toBe(true);
    await expect.poll(() => tracker.running.size).toBe(0);
  });

  it('aborts running calls on server shutdown', async () => {
    const call = client.callTool({ name: 'probe', arguments: { mode: 'wait' } });
    await expect.poll(() => tracker.running.size).toBe(1);
    shutdown.abort();
    const r = (await call) as CallToolResult;
    expect(seen.aborted).toBe(true);
    expect(r.isError).toBe(true);
    expect(textOf(r)).toBe('probe was cancelled: cancelled');
  });

  it('turns a typed error into an isError result with its message and hint', async () => {
    const r = (await client.callTool({ name: 'probe', arguments: { mode: 'typed' } })) as CallToolResult;
    expect(r.isError).toBe(true);
    expect(textOf(r)).toBe('probe failed: checkpoint "nope" does not exist\nhint: run db_checkpoint');
    expect(r.structuredContent).toBeUndefined();
  });

  it('reports an unexpected error without its stack, and logs the stack to stderr', async () => {
    const r = (await client.callTool({ name: 'probe', arguments: { mode: 'unknown' } })) as CallToolResult;
    expect(r.isError).toBe(true);
    expect(textOf(r)).toContain('cannot read properties of undefined');
    expect(textOf(r)).not.toMatch(/\n\s+at /);
    expect(logs.join('\n')).toMatch(
      /probe: unexpected error: TypeError: cannot read properties of undefined\n\s+at /,
    );
  });

  it('flags a failed result as an error and still sends the result', async () => {
    const r = (await client.callTool({ name: 'probe', arguments: { mode: 'failed' } })) as CallToolResult;
    expect(r.isError).toBe(true);
    expect(r.structuredContent).toEqual({ status: 'failed', steps: 1 });
    expect(textOf(r)).toBe('the probe failed\nprobe failed after 1 steps');
  });
});
