/**
 * The schema of one MySQL/MariaDB database from information_schema (tables, columns, indexes) and
 * its differences, in the lines the PostgreSQL collector gives `schema_changes`:
 * `+ table app.t`, `- column app.t.c`, `~ column app.t.c: type int(11) -> bigint(20)`, ….
 */
import type { RowDataPacket } from 'mysql2';
import type { MysqlConnection } from '../client.js';

export const SCHEMA_TABLES_SQL = /* SQL */ `
  SELECT TABLE_NAME AS t, ENGINE AS engine FROM information_schema.TABLES
  WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'`;
export const SCHEMA_COLUMNS_SQL = /* SQL */ `
  SELECT TABLE_NAME AS t, COLUMN_NAME AS c, COLUMN_TYPE AS type, IS_NULLABLE AS nullable,
         COLUMN_DEFAULT AS def
  FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?`;
export const SCHEMA_INDEXES_SQL = /* SQL */ `
  SELECT TABLE_NAME AS t, INDEX_NAME AS i, MIN(NON_UNIQUE) AS non_unique,
         GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX SEPARATOR ', ') AS cols
  FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ?
  GROUP BY TABLE_NAME, INDEX_NAME`;

interface ColumnRow {
  t: string;
  c: string;
  type: string;
  nullable: string;
  def: string | null;
}

/** Per kind, object name -> description. */
export interface MysqlSchema {
  tables: Map<string, string>;
  columns: Map<string, ColumnRow>;
  indexes: Map<string, string>;
}

async function rows<T>(c: MysqlConnection, sql: string, database: string): Promise<T[]> {
  const [r] = await c.query<RowDataPacket[]>(sql, [database]);
  return r as T[];
}

export async function readSchema(c: MysqlConnection, database: string): Promise<MysqlSchema> {
  const q = (t: string) => `${database}.${t}`;
  const tables = new Map(
    (await rows<{ t: string; engine: string | null }>(c, SCHEMA_TABLES_SQL, database)).map((r) => [
      q(r.t),
      r.engine ?? '',
    ]),
  );
  const columns = new Map(
    (await rows<ColumnRow>(c, SCHEMA_COLUMNS_SQL, database)).map((r) => [`${q(r.t)}.${r.c}`, r]),
  );
  const indexes = new Map(
    (
      await rows<{ t: string; i: string; non_unique: number | string; cols: string }>(
        c,
        SCHEMA_INDEXES_SQL,
        database,
      )
    ).map((r) => [`${q(r.t)}.${r.i}`, `${Number(r.non_unique) === 0 ? 'UNIQUE ' : ''}(${r.cols})`]),
  );
  return { tables, columns, indexes };
}

const describeColumn = (c: ColumnRow) =>
  `${c.type} ${c.nullable === 'YES' ? 'NULL' : 'NOT NULL'}${c.def === null ? '' : ` DEFAULT ${c.def}`}`;

function diffMap<T>(
  kind: string,
  before: Map<string, T>,
  after: Map<string, T>,
  describe: (x: T) => string,
  changed: (name: string, b: T, a: T) => string[],
): string[] {
  const out: string[] = [];
  for (const name of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const b = before.get(name);
    const a = after.get(name);
    if (b === undefined && a !== undefined) out.push(`+ ${kind} ${name} ${describe(a)}`.trimEnd());
    else if (b !== undefined && a === undefined) out.push(`- ${kind} ${name}`);
    else if (b !== undefined && a !== undefined) out.push(...changed(name, b, a));
  }
  return out;
}

export function schemaChanges(before: MysqlSchema, after: MysqlSchema): string[] {
  return [
    ...diffMap(
      'table',
      before.tables,
      after.tables,
      () => '',
      (name, b, a) => (b === a ? [] : [`~ table ${name}: engine ${b} -> ${a}`]),
    ),
    ...diffMap('column', before.columns, after.columns, describeColumn, (name, b, a) => {
      const out: string[] = [];
      if (b.type !== a.type) out.push(`~ column ${name}: type ${b.type} -> ${a.type}`);
      if (b.nullable !== a.nullable) {
        out.push(
          `~ column ${name}: ${b.nullable === 'YES' ? 'NULL' : 'NOT NULL'} -> ${a.nullable === 'YES' ? 'NULL' : 'NOT NULL'}`,
        );
      }
      if (b.def !== a.def) out.push(`~ column ${name}: default ${b.def ?? 'none'} -> ${a.def ?? 'none'}`);
      return out;
    }),
    ...diffMap(
      'index',
      before.indexes,
      after.indexes,
      (d) => d,
      (name, b, a) => (b === a ? [] : [`~ index ${name}: ${b} -> ${a}`]),
    ),
  ];
}
