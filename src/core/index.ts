/**
 * The operations behind every CLI command and MCP tool. Entry points stay thin and call these,
 * so each tool has a CLI twin with the same result.
 */
export { createCheckpoint } from './checkpoint.js';
export { compareBranches } from './compare.js';
export { type Context, createContext, type Progress, type ProgressFn } from './context.js';
export { deleteBranch, deleteCheckpoint, gcState, listState, rollbackCheckpoint } from './manage.js';
export { testMigration, testStrategies } from './test.js';
export type * from './types.js';
