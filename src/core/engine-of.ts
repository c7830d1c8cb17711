/**
 * Core's questions about engines: is a connection, checkpoint or branch MySQL's, a MySQL
 * connection's settings from the BranchConnection shape both engines share, and the errors for
 * a record used under the wrong engine or an option only PostgreSQL has. Names and labels come
 * from the engine registry (src/engines/).
 */
import type { BranchConnection } from '../backends/backend.js';
import { type EngineName, engineOf } from '../engines/engine.js';
import { engineLabel } from '../engines/index.js';
import type { MysqlSettings } from '../engines/mysql/client.js';
import { settingsOf } from '../engines/mysql/local-connection.js';
import { InvalidInputError } from '../errors.js';
import type { BranchEntry, CheckpointEntry } from '../state/registry.js';

export const isMysql = (x: { engine?: EngineName } | null | undefined): boolean => engineOf(x) === 'mysql';

/** A MySQL branch's or source's connection settings, with the database the migration runs in. */
export function mysqlSettingsOf(conn: BranchConnection): MysqlSettings & { database: string } {
  const settings = settingsOf(conn);
  if (!settings.database) throw new InvalidInputError(`${conn.displayUrl} names no database`);
  return { ...settings, database: settings.database };
}

/** The error for options that only the PostgreSQL collector has so far (given before any branch is made). */
export function postgresOnly(what: string, hint: string): InvalidInputError {
  return new InvalidInputError(`${what} is PostgreSQL-only for now: this checkpoint is MySQL/MariaDB`, {
    hint,
  });
}

/** Say so when a checkpoint's engine is not the one this command was started for. */
export function checkEngine(
  ckpt: Pick<CheckpointEntry, 'tag' | 'engine'> | Pick<BranchEntry, 'name' | 'engine'>,
  expected: EngineName,
): void {
  const actual = engineOf(ckpt);
  if (actual === expected) return;
  const what =
    'tag' in ckpt ? `checkpoint ${JSON.stringify(ckpt.tag)}` : `branch ${JSON.stringify(ckpt.name)}`;
  throw new InvalidInputError(`${what} is ${engineLabel(actual)}, not ${engineLabel(expected)}`, {
    hint: `run it with --engine ${actual} (MCP: engine: "${actual}")`,
  });
}
