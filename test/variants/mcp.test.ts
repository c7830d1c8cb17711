/** db_suggest_variants over the MCP SDK, in-process: schemas, structuredContent, files under the state directory. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createContext } from '../../src/core/index.js';
import { createServer } from '../../src/mcp/create-server.js';

let home: string;
let client: Client;
let close: () => Promise<unknown>;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'vers-db-mcp-variants-'));
  const made = createServer(
    createContext({ env: { VERS_DB_HOME: join(home, '.vers-db') }, cwd: home, log: () => {} }),
  );
  close = made.close;
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  client = new Client({ name: 'test', version: '0' });
  await Promise.all([client.connect(clientSide), made.server.connect(serverSide)]);
});

afterAll(async () => {
  await client.close();
  await close();
  await rm(home, { recursive: true, force: true });
});

it('writes the rewrites under the state directory and returns what changed and why', async () => {
  await writeFile(join(home, 'add-index.sql'), 'CREATE INDEX orders_user ON orders (user_id);\n');
  const r = (await client.callTool({
    name: 'db_suggest_variants',
    arguments: { migrations: ['add-index.sql'] },
  })) as CallToolResult;
  expect(r.isError).toBeFalsy();
  const { reports } = r.structuredContent as {
    reports: { catalog: boolean; variants: { name: string; file: string; changes: { why: string }[] }[] }[];
  };
  expect(reports[0]!.catalog).toBe(false);
  const [v] = reports[0]!.variants;
  expect(v!.name).toBe('add-index.concurrent-index');
  expect(v!.file.startsWith(join(home, '.vers-db', 'variants'))).toBe(true);
  expect(await readFile(v!.file, 'utf8')).toContain(
    'CREATE INDEX CONCURRENTLY orders_user ON orders (user_id);',
  );
  expect(v!.changes[0]!.why).toMatch(/SHARE lock/);
});

it('refuses an oversized input before any handler runs', async () => {
  const r = (await client.callTool({
    name: 'db_suggest_variants',
    arguments: { migrations: ['x'.repeat(5000)] },
  })) as CallToolResult;
  expect(r.isError).toBe(true);
});
