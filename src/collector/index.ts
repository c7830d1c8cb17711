/** The collector: runs a migration on a branch and measures what it did (README "What is measured, and how"). */

export {
  DEFAULT_PROBE_LOCK_TIMEOUT_MS,
  DEFAULT_SAMPLE_INTERVAL_MS,
  type MeasureOptions,
  type MigrationSource,
  measureMigration,
} from './measure.js';
export { BLOCKED_WAIT_FLOOR_MS } from './probes.js';
export { diffSchemas, type SchemaSnapshot, snapshotSchema } from './schema.js';
export { exactRowCounts, tableChecksums } from './snapshot.js';
export { loadParser, MAX_SQL_BYTES, type SqlStatement, splitStatements } from './split.js';
export { splitStatementsOffThread } from './split-offthread.js';
