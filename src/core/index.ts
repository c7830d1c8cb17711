/**
 * The operations behind every CLI command and MCP tool. Entry points stay thin and call these,
 * so each tool has a CLI twin with the same result.
 */
export { createCheckpoint } from './checkpoint.js';
export { compareBranches } from './compare.js';
export { testMigration, testStrategies } from './test.js';
export { deleteBranch, deleteCheckpoint, gcState, listState, rollbackCheckpoint } from './manage.js';
export { createContext, type Context, type Progress, type ProgressFn } from './context.js';
export type * from './types.js';
