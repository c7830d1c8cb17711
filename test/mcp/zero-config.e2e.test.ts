/**
 * The plugin's own MCP config (plugin.json), expanded as Claude Code expands it for a user who configured
 * nothing: no DATABASE_URL, no backend. The server must start, keep its state in the project,
 * checkpoint the embedded PostgreSQL it starts on demand, and stop that server when Claude Code
 * closes stdin.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, expect, it } from 'vitest';
import type { EmbeddedState } from '../../src/backends/embedded.js';
import type { CheckpointReport } from '../../src/result.js';
import { configFromUrl, connect } from '../../src/util/pg.js';
import { expandMcpConfig, readMcpServerConfig } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');
const DIST_SERVER = join(ROOT, 'dist/server.js');

let project: string | undefined;
let dataDir: string | undefined;

afterAll(async () => {
  if (dataDir) await rm(dirname(dataDir), { recursive: true, force: true });
  if (project) await rm(project, { recursive: true, force: true });
});

it('starts from plugin.json with nothing configured and checkpoints the embedded default', async () => {
  project = await mkdtemp(join(tmpdir(), 'vers-db-zero-'));
  const config = expandMcpConfig(await readMcpServerConfig(ROOT), {
    CLAUDE_PLUGIN_ROOT: ROOT,
    CLAUDE_PROJECT_DIR: project,
    'user_config.backend': 'local',
  });
  expect(config.env).toEqual({
    DATABASE_URL: '',
    VERS_DB_BACKEND: '',
    VERS_API_KEY: '',
    VERS_DB_CONFIG_DATABASE_URL: '',
    VERS_DB_CONFIG_VERS_API_KEY: '',
    VERS_DB_CONFIG_BACKEND: 'local',
    VERS_DB_HOME: join(project, '.vers-db'),
  });
  // The shipped command runs dist/server.js; before the first build (or with VERS_DB_SERVER_CMD) run the source.
  const useDist = existsSync(DIST_SERVER) && !process.env.VERS_DB_SERVER_CMD;
  const transport = new StdioClientTransport({
    command: useDist ? config.command : process.execPath,
    args: useDist ? config.args : ['--import', 'tsx', 'src/server.ts'],
    cwd: useDist ? project : ROOT,
    env: { ...config.env, CLAUDE_PROJECT_DIR: project },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const client = new Client({ name: 'zero-config', version: '0' });
  await client.connect(transport);
  try {
    const r = (await client.callTool({ name: 'db_checkpoint', arguments: { tag: 'zero' } }, undefined, {
      timeout: 180_000,
    })) as CallToolResult;
    expect(r.isError, `${JSON.stringify(r.content)}\n${stderr}`).toBeFalsy();
    expect(r.structuredContent as CheckpointReport).toMatchObject({ tag: 'zero', backend: 'local' });
    expect(stderr).toContain(`state in ${join(project, '.vers-db')}, local backend`);
  } finally {
    await client.close();
  }

  // Closing stdin stops the embedded server this process started.
  const state = JSON.parse(
    await readFile(join(project, '.vers-db', 'embedded.json'), 'utf8'),
  ) as EmbeddedState;
  dataDir = state.dataDir;
  const url = `postgres://${state.user}:${encodeURIComponent(state.password)}@127.0.0.1:${state.port}/postgres`;
  await expect
    .poll(
      async () => {
        try {
          const c = await connect(configFromUrl(url));
          await c.end();
          return 'running';
        } catch {
          return 'stopped';
        }
      },
      { timeout: 30_000, interval: 500 },
    )
    .toBe('stopped');
});
