/**
 * Issue 10, part 3 (explicit kinds): a SQL typo passed to a test in auto mode ran as `bash -c`
 * ("ALTER: command not found"), and text with `$(…)` in it executed as root. SQL that fails to
 * parse is a SQL error with its position; shell steps run only with --kind command (MCP
 * kind: "command", suite command:). Real PostgreSQL, the real CLI, the MCP server in-process.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../../src/mcp/create-server.js';
import { ComparisonSchema } from '../../src/result.js';
import { runSuite } from '../../src/suite/runner.js';
import { cli } from '../helpers/cli.js';
import { createProject, type TestProject } from '../helpers/project.js';

const SCHEMA = `CREATE TABLE users (id int PRIMARY KEY, email text);
  INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 500) g;`;

describe('explicit migration kinds', () => {
  let p: TestProject;
  /** Where shell steps leave markers: as root they run as an unprivileged OS user. */
  let marks: string;
  beforeAll(async () => {
    p = await createProject(SCHEMA);
    await chmod(p.dir, 0o755);
    marks = join(p.dir, 'marks');
    await mkdir(marks);
    await chmod(marks, 0o777);
    const r = await cli(['checkpoint', 'base', '--json'], p.env, p.dir);
    expect(r.exitCode).toBe(0);
  });
  afterAll(async () => {
    await p.cleanup();
  });

  it('a SQL typo is a SQL error with line and column (exit 2), not "command not found"', async () => {
    const r = await cli(['test', 'base', 'ALTER TABLE users ADD COLUM x int'], p.env, p.dir);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/inline SQL\): line 1:31: syntax error at or near "int"/);
    expect(r.stderr).toMatch(/hint: .*--kind command/);
    expect(r.stderr).not.toMatch(/command not found/);
    expect(r.stdout).toBe('');
    expect(await p.ctx.registry.listBranches()).toEqual([]);
  });

  it('text with $(…) in it is never handed to a shell', async () => {
    const marker = join(marks, 'pwned');
    const r = await cli(['test', 'base', `SELECT 1; $(touch ${marker})`], p.env, p.dir);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/syntax error/);
    expect(existsSync(marker)).toBe(false);
  });

  it('--kind command runs a shell step on the branch, with its connection settings', async () => {
    const marker = join(marks, 'ran');
    const command = `psql -X -v ON_ERROR_STOP=1 -qc 'ALTER TABLE users ADD COLUMN c int' && touch ${marker}`;
    const r = await cli(['test', 'base', '--kind', 'command', command, '--json'], p.env, p.dir);
    expect(r.exitCode, r.stderr).toBe(0);
    const c = ComparisonSchema.parse(JSON.parse(r.stdout));
    expect(c.results[0]).toMatchObject({ name: 'command-1', status: 'passed' });
    expect(c.results[0]!.statements[0]!.sql).toBe(command);
    expect(c.results[0]!.schema_changes, JSON.stringify(c.results[0])).toEqual([
      expect.stringMatching(/users.*\bc\b/),
    ]);
    expect(existsSync(marker)).toBe(true);

    const bad = await cli(['test', 'base', '--kind', 'shell', 'true'], p.env, p.dir);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/Allowed choices are auto, file, sql, command/);
  });

  it('MCP: a command needs kind "command"; without it the text is SQL and must parse', async () => {
    const { server, close } = createServer(p.ctx);
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: 'test', version: '0' });
    await Promise.all([client.connect(clientSide), server.connect(serverSide)]);
    try {
      const marker = join(marks, 'mcp-ran');
      const guessed = (await client.callTool({
        name: 'db_migration_test',
        arguments: { baseline: 'base', migration: `touch ${marker}`, collect_metrics: false },
      })) as CallToolResult;
      expect(guessed.isError).toBe(true);
      expect(JSON.stringify(guessed.content)).toMatch(/syntax error at or near/);
      expect(existsSync(marker)).toBe(false);

      const asked = (await client.callTool({
        name: 'db_migration_test',
        arguments: {
          baseline: 'base',
          migration: `touch ${marker}`,
          kind: 'command',
          collect_metrics: false,
        },
      })) as CallToolResult;
      expect(asked.isError, JSON.stringify(asked.content)).toBeFalsy();
      expect(asked.structuredContent).toMatchObject({ status: 'passed' });
      expect(existsSync(marker)).toBe(true);

      const { tools } = await client.listTools();
      const tool = tools.find((t) => t.name === 'db_migration_test')!;
      expect(tool.description).toMatch(/kind: "command"/);
    } finally {
      await client.close();
      await close();
    }
  });

  it('a suite migration: is SQL or a file; a shell step is a command: branch', async () => {
    const sqlMarker = join(marks, 'suite-sql');
    const etlMarker = join(marks, 'suite-etl');
    await p.file(
      'vers-integration.yaml',
      `tests:
  m:
    checkpoint: suite-base
    branches:
      - name: guessed
        migration: touch ${sqlMarker}
  e:
    checkpoint: suite-base
    branches:
      - name: etl
        command: touch ${etlMarker}
`,
    );
    const run = await runSuite(p.ctx, {});
    const m = run.suites.find((s) => s.name === 'm')!;
    expect(m.passed).toBe(false);
    expect(m.comparison.results[0]).toMatchObject({ name: 'guessed', status: 'failed' });
    expect(m.comparison.results[0]!.error).toMatch(
      /guessed \(inline SQL\): line 1:1: syntax error at or near "touch"/,
    );
    expect(existsSync(sqlMarker)).toBe(false);
    // The other suite's results are not discarded because this one failed.
    expect(run.suites.find((s) => s.name === 'e')?.passed).toBe(true);
    expect(existsSync(etlMarker)).toBe(true);
  });
});
