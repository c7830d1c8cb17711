/**
 * Issue 10: MCP inputs had no size limits (a 100 KB name, 5 000 branches). Every string and array
 * a tool accepts now has a maximum, visible in its JSON Schema and enforced before the handler.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { createContext } from '../../src/core/index.js';
import { createServer } from '../../src/mcp/create-server.js';
import { TOOLS } from '../../src/tools/index.js';

type Schema = {
  type?: string | string[];
  maxLength?: number;
  maxItems?: number;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  items?: Schema | Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
};

/** Paths of strings without maxLength and arrays without maxItems. */
function unbounded(schema: Schema, path: string, out: string[]): string[] {
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (types.includes('string') && schema.maxLength === undefined && !schema.enum) out.push(path);
  if (types.includes('array') && schema.maxItems === undefined) out.push(path);
  for (const [k, v] of Object.entries(schema.properties ?? {})) unbounded(v, `${path}.${k}`, out);
  const items = Array.isArray(schema.items) ? schema.items : schema.items ? [schema.items] : [];
  for (const item of items) unbounded(item, `${path}[]`, out);
  for (const alt of [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])]) unbounded(alt, path, out);
  return out;
}

describe('MCP input limits', () => {
  it('every string and array input of every tool has a maximum', () => {
    const missing = TOOLS.flatMap((tool) =>
      unbounded(z.toJSONSchema(tool.inputSchema, { io: 'input' }) as Schema, tool.name, []),
    );
    expect(missing).toEqual([]);
  });

  let home: string;
  let client: Client;
  let close: () => Promise<void>;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'vers-db-limits-'));
    const ctx = createContext({ env: { VERS_DB_HOME: home }, cwd: home, log: () => {} });
    const created = createServer(ctx);
    close = created.close;
    const [a, b] = InMemoryTransport.createLinkedPair();
    client = new Client({ name: 'test', version: '0' });
    await Promise.all([client.connect(a), created.server.connect(b)]);
  });
  afterAll(async () => {
    await client.close();
    await close();
    await rm(home, { recursive: true, force: true });
  });

  const call = async (name: string, args: Record<string, unknown>) =>
    (await client.callTool({ name, arguments: args })) as CallToolResult;
  const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

  it('refuses a 100 KB name and 5 000 branches before doing anything', async () => {
    const big = await call('db_checkpoint', { tag: 'x'.repeat(100_000) });
    expect(big.isError).toBe(true);
    expect(text(big)).toMatch(/tag/);
    expect(text(big)).toMatch(/128/);
    const many = await call('db_compare_branches', {
      branches: Array.from({ length: 5000 }, (_, i) => `b${i}`),
    });
    expect(many.isError).toBe(true);
    expect(text(many)).toMatch(/branches/);
    expect(text(many)).toMatch(/64/);
  });
});
