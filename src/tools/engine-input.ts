/**
 * The MCP `engine` input of the tools that make or use checkpoints: which database engine.
 * Optional everywhere: db_checkpoint defaults to the server's (VERS_DB_ENGINE, DATABASE_URL's
 * scheme, else postgres); the others use the engine recorded with the checkpoint or branch, and a
 * different one given here is an error.
 */
import { EngineNameSchema } from '../result.js';

export const EngineInput = EngineNameSchema.optional().describe(
  'Database engine: "postgres" or "mysql" (MySQL/MariaDB). Optional: checkpoints record their engine, ' +
    'and tests and comparisons use it; say it to make a MySQL checkpoint or to insist on one.',
);
