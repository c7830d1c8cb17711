/**
 * One branch of each suite pattern, on a branch of the suite's checkpoint, one file per pattern.
 * Each returns a StrategyResult (the Result JSON) and the checks it made.
 */
export type { BranchRun, PatternContext } from './context.js';
export { runEtlBranch } from './etl.js';
export { runMigrationBranch } from './migrations.js';
export { runPerformanceBranch } from './performance.js';
export { runRollbackBranch } from './rollback.js';
