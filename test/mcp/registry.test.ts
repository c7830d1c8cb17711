/** Invariants of the tool registry: the contract names, honest annotations, schemas present. */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { SERVER_VERSION } from '../../src/mcp/create-server.js';
import { INSTRUCTIONS } from '../../src/mcp/instructions.js';
import { TOOLS } from '../../src/tools/index.js';

/** DESIGN.md "MCP tools": the names are the contract. */
const CONTRACT = [
  'db_checkpoint',
  'db_migration_test',
  'db_compare_branches',
  'db_test_strategies',
  'db_suggest_variants',
  'db_run_suite',
  'db_branches',
];
const READ_ONLY = ['db_compare_branches'];

const readJson = async (path: string) => JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;

describe('TOOLS', () => {
  it('holds exactly the contract names, once each, in snake_case', () => {
    const names = TOOLS.map((t) => t.name);
    expect([...names].sort()).toEqual([...CONTRACT].sort());
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-z][a-z0-9_]{0,63}$/);
  });

  it.each(TOOLS.map((t) => [t.name, t] as const))(
    '%s has a title, a description under 2 KB and all four hints',
    (_, tool) => {
      expect(tool.title.length).toBeGreaterThan(3);
      expect(tool.description.length).toBeGreaterThan(80);
      // Claude Code truncates tool descriptions at 2 KB.
      expect(Buffer.byteLength(tool.description)).toBeLessThan(2048);
      for (const hint of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint'] as const) {
        expect(typeof tool.annotations[hint], hint).toBe('boolean');
      }
      // A read-only tool cannot also destroy.
      if (tool.annotations.readOnlyHint) expect(tool.annotations.destructiveHint).toBe(false);
    },
  );

  it('marks compare/list tools read-only and every other tool as writing', () => {
    for (const tool of TOOLS)
      expect(tool.annotations.readOnlyHint, tool.name).toBe(READ_ONLY.includes(tool.name));
  });

  it('marks the tools that drop databases or run shell commands as destructive', () => {
    const destructive = TOOLS.filter((t) => t.annotations.destructiveHint).map((t) => t.name);
    expect(destructive.sort()).toEqual([
      'db_branches',
      'db_migration_test',
      'db_run_suite',
      'db_test_strategies',
    ]);
  });

  it.each(TOOLS.map((t) => [t.name, t] as const))(
    '%s has object input and output schemas with described inputs',
    (_, tool) => {
      expect(tool.inputSchema).toBeInstanceOf(z.ZodObject);
      expect(tool.outputSchema).toBeInstanceOf(z.ZodObject);
      const input = z.toJSONSchema(tool.inputSchema, { io: 'input' }) as {
        type: string;
        properties: Record<string, { description?: string }>;
        anyOf?: unknown;
      };
      // Claude Code flattens a root-level anyOf/oneOf: the root must be one plain object.
      expect(input.type).toBe('object');
      expect(input.anyOf).toBeUndefined();
      for (const [key, prop] of Object.entries(input.properties)) {
        expect(key, `${tool.name}.${key}`).toMatch(/^[a-z][a-z0-9_]*$/);
        expect(prop.description, `${tool.name}.${key} has a description`).toBeTruthy();
      }
      const output = z.toJSONSchema(tool.outputSchema) as { type: string; anyOf?: unknown };
      expect(output.type).toBe('object');
      expect(output.anyOf).toBeUndefined();
    },
  );

  it('keeps the use-case inputs (tag/database/include_stats, baseline/migration/validation/collect_metrics, branches/comparison_query)', () => {
    const keys = (name: string) => Object.keys(TOOLS.find((t) => t.name === name)!.inputSchema.shape);
    expect(keys('db_checkpoint')).toEqual(expect.arrayContaining(['tag', 'database', 'include_stats']));
    expect(keys('db_migration_test')).toEqual(
      expect.arrayContaining(['baseline', 'migration', 'validation', 'collect_metrics', 'keep_branch']),
    );
    expect(keys('db_compare_branches')).toEqual(expect.arrayContaining(['branches', 'comparison_query']));
    expect(keys('db_test_strategies')).toEqual(
      expect.arrayContaining(['baseline', 'migrations', 'validation', 'parallel']),
    );
    expect(keys('db_run_suite')).toEqual(expect.arrayContaining(['file', 'suite']));
    expect(keys('db_branches')).toEqual(expect.arrayContaining(['action']));
  });
});

describe('server metadata', () => {
  it('keeps the instructions under the 2 KB Claude Code loads, naming every tool', () => {
    expect(Buffer.byteLength(INSTRUCTIONS)).toBeLessThan(2048);
    for (const name of CONTRACT.filter((n) => n !== 'db_run_suite')) expect(INSTRUCTIONS).toContain(name);
  });

  it('reports the same version as package.json and the plugin manifest', async () => {
    const pkg = await readJson('package.json');
    const plugin = await readJson('.claude-plugin/plugin.json');
    expect(SERVER_VERSION).toBe(pkg.version);
    expect(plugin.version).toBe(pkg.version);
  });
});
