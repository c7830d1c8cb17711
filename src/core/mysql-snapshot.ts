/**
 * What a MySQL/MariaDB checkpoint looked like, read with the engine's own means: exact row
 * counts (COUNT(*)), CHECKSUM TABLE per table, sizes from information_schema and the schema
 * (tables, columns, indexes). The schema is kept as plain JSON in the checkpoint's state file
 * and compared with the MySQL collector's schemaChanges. Reads only.
 */

import { type MysqlConnection, type MysqlSettings, withMysql } from '../engines/mysql/client.js';
import { renameDatabase } from '../engines/mysql/collector/relation-names.js';
import { type MysqlSchema, readSchema, schemaChanges } from '../engines/mysql/collector/schema.js';
import { exactRowCount, tableChecksum, tableSnapshots } from '../engines/mysql/snapshot.js';

/** MysqlSchema with its maps as objects, as stored in the checkpoint's state file. */
export interface MysqlSchemaJson {
  engine: 'mysql';
  tables: Record<string, string>;
  columns: Record<string, { t: string; c: string; type: string; nullable: string; def: string | null }>;
  indexes: Record<string, string>;
}

export interface MysqlSealFacts {
  /** `<database>.<table>` → exact rows. */
  rowCounts: Record<string, number>;
  /** `<database>.<table>` → CHECKSUM TABLE (a table whose checksum is NULL is left out). */
  checksums: Record<string, string>;
}

export function schemaToJson(s: MysqlSchema): MysqlSchemaJson {
  return {
    engine: 'mysql',
    tables: Object.fromEntries(s.tables),
    columns: Object.fromEntries(s.columns),
    indexes: Object.fromEntries(s.indexes),
  };
}

export function schemaFromJson(j: MysqlSchemaJson): MysqlSchema {
  return {
    tables: new Map(Object.entries(j.tables)),
    columns: new Map(Object.entries(j.columns)),
    indexes: new Map(Object.entries(j.indexes)),
  };
}

export function isMysqlSchemaJson(x: unknown): x is MysqlSchemaJson {
  return typeof x === 'object' && x !== null && (x as { engine?: unknown }).engine === 'mysql';
}

/** The lines of `schema_changes` between a recorded checkpoint schema and a database now. */
export async function mysqlSchemaDiff(
  c: MysqlConnection,
  database: string,
  recorded: MysqlSchemaJson,
  /** The name `recorded` gives the database (a logical copy's branch serves it as `database`). */
  recordedDatabase: string = database,
): Promise<string[]> {
  const now = schemaToJson(await readSchema(c, database));
  const named = schemaFromJson(renameDatabase(now, database, recordedDatabase));
  return schemaChanges(schemaFromJson(recorded), named);
}

/** Exact row counts and CHECKSUM TABLE of every base table of `database`, on an open session. */
export async function readSealFacts(c: MysqlConnection, database: string): Promise<MysqlSealFacts> {
  const rowCounts: Record<string, number> = {};
  const checksums: Record<string, string> = {};
  for (const t of await tableSnapshots(c, database)) {
    const table = t.relation.slice(database.length + 1);
    rowCounts[t.relation] = await exactRowCount(c, database, table);
    const sum = await tableChecksum(c, database, table);
    if (sum !== null) checksums[t.relation] = sum;
  }
  return { rowCounts, checksums };
}

/** The same, on a connection of its own (a checkpoint's copy served read-only, a temporary branch). */
export function mysqlSealFacts(settings: MysqlSettings, database: string): Promise<MysqlSealFacts> {
  return withMysql({ ...settings, database }, (c) => readSealFacts(c, database));
}

export interface MysqlCheckpointFacts {
  rowCounts: Record<string, number>;
  sizes: Record<string, number>;
  checksums: Record<string, string> | null;
  schema: MysqlSchemaJson;
}

/** Sizes and schema (and, when asked, exact counts and checksums) of `database`. */
export function mysqlCheckpointFacts(
  settings: MysqlSettings,
  database: string,
  options: { rowCounts?: boolean; checksums?: boolean } = {},
): Promise<MysqlCheckpointFacts> {
  return withMysql({ ...settings, database }, async (c) => {
    const sizes: Record<string, number> = {};
    for (const t of await tableSnapshots(c, database)) sizes[t.relation] = t.dataBytes + t.indexBytes;
    const sealed =
      options.rowCounts === false && !options.checksums ? null : await readSealFacts(c, database);
    return {
      rowCounts: options.rowCounts === false ? {} : (sealed?.rowCounts ?? {}),
      sizes,
      checksums: options.checksums ? (sealed?.checksums ?? {}) : null,
      schema: schemaToJson(await readSchema(c, database)),
    };
  });
}
