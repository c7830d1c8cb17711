/** The MySQL/MariaDB collector: measure one migration on a branch server, as a StrategyResult. */
export {
  DEFAULT_INTERVAL_MS,
  DEFAULT_PROBE_TIMEOUT_MS,
  type MysqlMeasureConfig,
  type MysqlMeasureOptions,
  measureMysqlMigration,
} from './measure.js';
