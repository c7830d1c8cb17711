/**
 * The catalog schema as plain JSON (tables, columns, indexes, constraints, views, functions,
 * sequences, extensions) and a human diff of two snapshots. Objects that belong to an extension
 * are left out: they change with the extension, not with the migration.
 */
import type pg from 'pg';

export interface ColumnInfo {
  type: string;
  nullable: boolean;
  default: string | null;
}
export interface TableInfo {
  oid: number;
  kind: string;
  columns: Record<string, ColumnInfo>;
}
export interface IndexInfo {
  table: string;
  definition: string;
  valid: boolean;
}
export interface ConstraintInfo {
  definition: string;
  validated: boolean;
}
export interface FunctionInfo {
  /** function, procedure, aggregate, window function */
  kind: string;
  returns: string;
  body_md5: string;
}
export interface SequenceInfo {
  type: string;
  increment: string;
  min: string;
  max: string;
}
export interface SchemaSnapshot {
  /** "schema.table" */
  tables: Record<string, TableInfo>;
  /** "schema.index" */
  indexes: Record<string, IndexInfo>;
  /** "schema.table.constraint" */
  constraints: Record<string, ConstraintInfo>;
  /** "schema.view" -> definition */
  views: Record<string, string>;
  /** "schema.name(args)" */
  functions: Record<string, FunctionInfo>;
  sequences: Record<string, SequenceInfo>;
  /** name -> version */
  extensions: Record<string, string>;
}

/** Schemas that are never the user's. */
export const SYSTEM_SCHEMA_FILTER = `nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp\\_%'`;

const NOT_FROM_EXTENSION = (classId: string, oid: string) =>
  `NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '${classId}'::regclass AND d.objid = ${oid} AND d.deptype = 'e')`;

const TABLES_SQL = `
  SELECT c.oid::int8 AS oid, format('%I.%I', n.nspname, c.relname) AS name, c.relkind::text AS kind
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'm', 'f') AND ${SYSTEM_SCHEMA_FILTER}
    AND ${NOT_FROM_EXTENSION('pg_class', 'c.oid')}`;

const COLUMNS_SQL = `
  SELECT format('%I.%I', n.nspname, c.relname) AS table_name, a.attname AS column_name,
         format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable,
         pg_get_expr(ad.adbin, ad.adrelid) AS default_expr
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
  WHERE c.relkind IN ('r', 'p', 'm', 'f') AND a.attnum > 0 AND NOT a.attisdropped AND ${SYSTEM_SCHEMA_FILTER}
  ORDER BY 1, a.attnum`;

const INDEXES_SQL = `
  SELECT format('%I.%I', n.nspname, ic.relname) AS name, format('%I.%I', n.nspname, tc.relname) AS table_name,
         pg_get_indexdef(i.indexrelid) AS definition, i.indisvalid AS valid
  FROM pg_index i
  JOIN pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_class tc ON tc.oid = i.indrelid
  JOIN pg_namespace n ON n.oid = ic.relnamespace
  WHERE ${SYSTEM_SCHEMA_FILTER} AND ${NOT_FROM_EXTENSION('pg_class', 'ic.oid')}`;

/** PG18 stores NOT NULL as constraints too; a valid one is already the column's nullability. */
const CONSTRAINTS_SQL = `
  SELECT format('%I.%I.%I', n.nspname, c.relname, con.conname) AS name,
         pg_get_constraintdef(con.oid) AS definition, con.convalidated AS validated
  FROM pg_constraint con
  JOIN pg_class c ON c.oid = con.conrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE ${SYSTEM_SCHEMA_FILTER} AND (con.contype <> 'n' OR NOT con.convalidated)`;

const VIEWS_SQL = `
  SELECT format('%I.%I', n.nspname, c.relname) AS name, pg_get_viewdef(c.oid) AS definition
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind = 'v' AND ${SYSTEM_SCHEMA_FILTER} AND ${NOT_FROM_EXTENSION('pg_class', 'c.oid')}`;

const FUNCTIONS_SQL = `
  SELECT format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)) AS name,
         CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' WHEN 'w' THEN 'window function'
                        ELSE 'function' END AS kind,
         coalesce(pg_get_function_result(p.oid), 'void') AS returns, md5(coalesce(p.prosrc, '')) AS body_md5
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE ${SYSTEM_SCHEMA_FILTER} AND ${NOT_FROM_EXTENSION('pg_proc', 'p.oid')}`;

const SEQUENCES_SQL = `
  SELECT format('%I.%I', schemaname, sequencename) AS name, data_type::text AS type,
         increment_by::text AS increment, min_value::text AS min, max_value::text AS max
  FROM pg_sequences
  WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`;

const EXTENSIONS_SQL = `SELECT extname AS name, extversion AS version FROM pg_extension`;

export async function snapshotSchema(client: pg.Client): Promise<SchemaSnapshot> {
  const snap: SchemaSnapshot = {
    tables: {},
    indexes: {},
    constraints: {},
    views: {},
    functions: {},
    sequences: {},
    extensions: {},
  };
  const tables = await client.query<{ oid: string; name: string; kind: string }>(TABLES_SQL);
  for (const t of tables.rows) snap.tables[t.name] = { oid: Number(t.oid), kind: t.kind, columns: {} };
  const columns = await client.query<{
    table_name: string;
    column_name: string;
    type: string;
    nullable: boolean;
    default_expr: string | null;
  }>(COLUMNS_SQL);
  for (const c of columns.rows) {
    const table = snap.tables[c.table_name];
    if (table) table.columns[c.column_name] = { type: c.type, nullable: c.nullable, default: c.default_expr };
  }
  const indexes = await client.query<{
    name: string;
    table_name: string;
    definition: string;
    valid: boolean;
  }>(INDEXES_SQL);
  for (const i of indexes.rows)
    snap.indexes[i.name] = { table: i.table_name, definition: i.definition, valid: i.valid };
  const constraints = await client.query<{ name: string; definition: string; validated: boolean }>(
    CONSTRAINTS_SQL,
  );
  for (const c of constraints.rows)
    snap.constraints[c.name] = { definition: c.definition, validated: c.validated };
  const views = await client.query<{ name: string; definition: string }>(VIEWS_SQL);
  for (const v of views.rows) snap.views[v.name] = v.definition.trim();
  const functions = await client.query<FunctionInfo & { name: string }>(FUNCTIONS_SQL);
  for (const { name, ...info } of functions.rows) snap.functions[name] = info;
  const sequences = await client.query<SequenceInfo & { name: string }>(SEQUENCES_SQL);
  for (const { name, ...info } of sequences.rows) snap.sequences[name] = info;
  const extensions = await client.query<{ name: string; version: string }>(EXTENSIONS_SQL);
  for (const e of extensions.rows) snap.extensions[e.name] = e.version;
  return snap;
}

function describeColumn(c: ColumnInfo): string {
  return `${c.type}${c.nullable ? '' : ' NOT NULL'}${c.default === null ? '' : ` DEFAULT ${c.default}`}`;
}

/** "CREATE UNIQUE INDEX x ON public.t USING btree (a)" -> "unique ON public.t USING btree (a)" */
function describeIndex(i: IndexInfo): string {
  const m = /^CREATE (UNIQUE )?INDEX \S+ (ON .*)$/s.exec(i.definition);
  const text = m ? `${m[1] ? 'UNIQUE ' : ''}${m[2]}` : i.definition;
  return i.valid ? text : `${text} (INVALID)`;
}

function sortedKeys(...records: Record<string, unknown>[]): string[] {
  return [...new Set(records.flatMap((r) => Object.keys(r)))].sort();
}

/** Added/removed/changed objects of one kind, by name. */
function diffByName<T>(
  kind: string,
  before: Record<string, T>,
  after: Record<string, T>,
  describe: (x: T, name: string) => string,
  changes: (name: string, b: T, a: T) => string[],
): string[] {
  const lines: string[] = [];
  for (const name of sortedKeys(before, after)) {
    const b = before[name];
    const a = after[name];
    if (b === undefined && a !== undefined) lines.push(`+ ${kind} ${name} ${describe(a, name)}`.trimEnd());
    else if (b !== undefined && a === undefined) lines.push(`- ${kind} ${name}`);
    else if (b !== undefined && a !== undefined) lines.push(...changes(name, b, a));
  }
  return lines;
}

function columnChanges(name: string, b: ColumnInfo, a: ColumnInfo): string[] {
  const lines: string[] = [];
  if (b.type !== a.type) lines.push(`~ column ${name}: type ${b.type} -> ${a.type}`);
  if (b.nullable !== a.nullable) {
    lines.push(
      `~ column ${name}: ${b.nullable ? 'NULL' : 'NOT NULL'} -> ${a.nullable ? 'NULL' : 'NOT NULL'}`,
    );
  }
  if (b.default !== a.default)
    lines.push(`~ column ${name}: default ${b.default ?? 'none'} -> ${a.default ?? 'none'}`);
  return lines;
}

/**
 * Human lines describing what changed, e.g.
 * "+ column public.users.premium_level integer NOT NULL DEFAULT 0", "- index public.idx_x",
 * "~ column public.users.email: type text -> character varying(200)".
 */
export function diffSchemas(before: SchemaSnapshot, after: SchemaSnapshot): string[] {
  const lines: string[] = [];
  const nameByOid = new Map(Object.entries(before.tables).map(([name, t]) => [t.oid, name]));
  const tableKind = (t: TableInfo) =>
    ({ p: 'partitioned table', m: 'materialized view', f: 'foreign table' })[t.kind];
  lines.push(
    ...diffByName(
      'table',
      before.tables,
      after.tables,
      (t, name) => {
        const was = nameByOid.get(t.oid);
        const notes = [tableKind(t), was && was !== name ? `renamed from ${was}` : undefined].filter(Boolean);
        return notes.length ? `(${notes.join(', ')})` : '';
      },
      () => [],
    ),
  );
  // Columns of tables present on both sides, by name.
  for (const table of sortedKeys(before.tables)) {
    const b = before.tables[table];
    const a = after.tables[table];
    if (!b || !a) continue;
    const qualified = (cols: Record<string, ColumnInfo>) =>
      Object.fromEntries(Object.entries(cols).map(([c, info]) => [`${table}.${c}`, info]));
    lines.push(
      ...diffByName('column', qualified(b.columns), qualified(a.columns), describeColumn, columnChanges),
    );
  }
  lines.push(
    ...diffByName('index', before.indexes, after.indexes, describeIndex, (name, b, a) => {
      const out: string[] = [];
      if (b.definition !== a.definition)
        out.push(`~ index ${name}: ${describeIndex(b)} -> ${describeIndex(a)}`);
      else if (b.valid !== a.valid)
        out.push(`~ index ${name}: ${b.valid ? 'valid -> INVALID' : 'INVALID -> valid'}`);
      return out;
    }),
  );
  const describeConstraint = (c: ConstraintInfo) => `${c.definition}${c.validated ? '' : ' NOT VALID'}`;
  lines.push(
    ...diffByName('constraint', before.constraints, after.constraints, describeConstraint, (name, b, a) => {
      if (b.definition !== a.definition)
        return [`~ constraint ${name}: ${describeConstraint(b)} -> ${describeConstraint(a)}`];
      if (b.validated !== a.validated) {
        return [`~ constraint ${name}: ${b.validated ? 'valid -> NOT VALID' : 'NOT VALID -> validated'}`];
      }
      return [];
    }),
  );
  lines.push(
    ...diffByName(
      'view',
      before.views,
      after.views,
      () => '',
      (name, b, a) => (b === a ? [] : [`~ view ${name}: definition changed`]),
    ),
  );
  lines.push(
    ...diffByName(
      'function',
      before.functions,
      after.functions,
      (f) => `${f.kind === 'function' ? '' : `(${f.kind}) `}returns ${f.returns}`,
      (name, b, a) => [
        ...(b.kind !== a.kind ? [`~ function ${name}: ${b.kind} -> ${a.kind}`] : []),
        ...(b.returns !== a.returns ? [`~ function ${name}: returns ${b.returns} -> ${a.returns}`] : []),
        ...(b.body_md5 !== a.body_md5 ? [`~ function ${name}: body changed`] : []),
      ],
    ),
  );
  const describeSequence = (s: SequenceInfo) => `${s.type} INCREMENT ${s.increment}`;
  lines.push(
    ...diffByName('sequence', before.sequences, after.sequences, describeSequence, (name, b, a) =>
      JSON.stringify(b) === JSON.stringify(a)
        ? []
        : [`~ sequence ${name}: ${describeSequence(b)} -> ${describeSequence(a)}`],
    ),
  );
  lines.push(
    ...diffByName(
      'extension',
      before.extensions,
      after.extensions,
      (v) => v,
      (name, b, a) => (b === a ? [] : [`~ extension ${name}: ${b} -> ${a}`]),
    ),
  );
  return lines;
}
