/** Every MCP tool, in the order tools/list shows them. Names are the contract (README "Claude Code", test/mcp/registry.test.ts). */
import { dbBranches } from './db-branches.js';
import { dbCheckpoint } from './db-checkpoint.js';
import { dbCompareBranches } from './db-compare-branches.js';
import { dbMigrationTest } from './db-migration-test.js';
import { dbRunSuite } from './db-run-suite.js';
import { dbSuggestVariants } from './db-suggest-variants.js';
import { dbTestStrategies } from './db-test-strategies.js';
import type { ToolDefinition } from './define.js';

export const TOOLS = [
  dbCheckpoint,
  dbMigrationTest,
  dbTestStrategies,
  dbSuggestVariants,
  dbCompareBranches,
  dbRunSuite,
  dbBranches,
] as const satisfies readonly ToolDefinition[];

export type { ToolCall, ToolDefinition, ToolHints } from './define.js';
