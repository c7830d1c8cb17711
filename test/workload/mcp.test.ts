/** The MCP tools take `workload` (a path, or an object with settings) and return `workload` in the result. */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCheckpoint } from '../../src/core/index.js';
import { createServer } from '../../src/mcp/create-server.js';
import { ComparisonSchema, StrategyResultSchema } from '../../src/result.js';
import { createProject, type TestProject } from '../helpers/project.js';

const SCHEMA = `CREATE TABLE users (id int PRIMARY KEY, email text);
  INSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 2000) g;`;

describe('MCP workload input', () => {
  let p: TestProject;
  let client: Client;
  let close: () => Promise<unknown>;
  beforeAll(async () => {
    p = await createProject(SCHEMA);
    await createCheckpoint(p.ctx, { tag: 'base' });
    await p.file('app.sql', '-- @param $1 key users\nSELECT email FROM users WHERE id = $1;\n');
    const made = createServer(p.ctx);
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    client = new Client({ name: 'test', version: '0' });
    await Promise.all([client.connect(clientSide), made.server.connect(serverSide)]);
    close = async () => {
      await client.close();
      await made.close();
    };
  });
  afterAll(async () => {
    await close?.();
    await p.cleanup();
  });

  it('db_migration_test runs the workload with the settings given', async () => {
    const r = await client.callTool({
      name: 'db_migration_test',
      arguments: {
        baseline: 'base',
        migration: 'ALTER TABLE users ADD COLUMN a int',
        kind: 'sql',
        workload: { file: 'app.sql', rate: 40, baseline_ms: 300, after_ms: 200 },
      },
    });
    expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
    const w = StrategyResultSchema.parse(r.structuredContent).workload!;
    expect(w).toMatchObject({ file: 'app.sql', rate: 40 });
    expect(w.statements[0]!.phases.baseline.count).toBeGreaterThan(3);
    expect(JSON.stringify(r.content)).toContain('application workload: stmt1 p99');
  });

  it('db_test_strategies takes a plain path, and a bad file is an error naming the line', async () => {
    const ok = await client.callTool({
      name: 'db_test_strategies',
      arguments: {
        baseline: 'base',
        migrations: ['ALTER TABLE users ADD COLUMN b int'],
        workload: 'app.sql',
      },
    });
    expect(ok.isError, JSON.stringify(ok.content)).toBeFalsy();
    expect(ComparisonSchema.parse(ok.structuredContent).results[0]!.workload?.file).toBe('app.sql');

    await p.file('bad.sql', 'SELECT 1;\nDROP TABLE users;\n');
    const bad = await client.callTool({
      name: 'db_test_strategies',
      arguments: {
        baseline: 'base',
        migrations: ['ALTER TABLE users ADD COLUMN c int'],
        workload: 'bad.sql',
      },
    });
    expect(bad.isError).toBe(true);
    expect(JSON.stringify(bad.content)).toMatch(/bad\.sql:2: a workload holds application statements/);
  });
});
