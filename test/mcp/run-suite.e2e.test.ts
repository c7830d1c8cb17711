/**
 * db_run_suite through the real stdio server: the rollback example suite runs on a fresh
 * database, progress arrives, and structuredContent (validated by the SDK client against the
 * advertised outputSchema) says the suite passed with its checks.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SuiteRunResult } from '../../src/suite/result.js';
import { urlOf } from '../../src/util/pg.js';
import { createTestDatabase, dropTestDatabase, uniqueName } from '../helpers/db.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SUITE = join(ROOT, 'examples/suites/rollback/vers-integration.yaml');

describe('db_run_suite over stdio', () => {
  const database = uniqueName('mcp_suite');
  let project: string;
  let client: Client;

  beforeAll(async () => {
    const config = await createTestDatabase(database);
    project = await mkdtemp(join(tmpdir(), 'vers-db-mcp-suite-'));
    const [command, ...args] = (
      process.env.VERS_DB_SERVER_CMD?.trim() || 'node --import tsx src/server.ts'
    ).split(/\s+/);
    const transport = new StdioClientTransport({
      command: command === 'node' ? process.execPath : command!,
      args,
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_URL: urlOf(config),
        VERS_DB_HOME: join(project, '.vers-db'),
        CLAUDE_PROJECT_DIR: project,
      },
      stderr: 'pipe',
    });
    client = new Client({ name: 'suite-e2e', version: '0.0.0' });
    await client.connect(transport);
  });

  afterAll(async () => {
    await client?.close();
    await dropTestDatabase(database);
    await rm(project, { recursive: true, force: true });
  });

  it('runs the rollback example and reports its checks', async () => {
    const progress: string[] = [];
    const r = (await client.callTool({ name: 'db_run_suite', arguments: { file: SUITE } }, undefined, {
      timeout: 300_000,
      resetTimeoutOnProgress: true,
      onprogress: (p) => progress.push(p.message ?? ''),
    })) as CallToolResult;
    const text = r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
    expect(r.isError, text).toBeFalsy();
    const run = r.structuredContent as SuiteRunResult;
    expect(run.passed).toBe(true);
    expect(run.mode).toBe('serial');
    expect(run.suites.map((s) => s.name)).toEqual(['rollback']);
    expect(run.suites[0]!.comparison.results[0]!.name).toBe('premium-level');
    expect(progress.length).toBeGreaterThan(0);
  });
});
