/**
 * What some rewrites need to know that the parse tree cannot say: whether a table is
 * partitioned (and its partitions), its integer primary key (to batch by), whether a default
 * is volatile, whether a type change rewrites the table, what uses a column. Read, read-only,
 * from a branch of the checkpoint; without one (`NO_CATALOG`) those rewrites say what they need.
 */
import type pg from 'pg';
import type { RelationName } from './sql-text.js';
import { quoted } from './sql-text.js';

export interface ColumnFacts {
  typeOid: number;
  typmod: number;
  /** format_type(): "integer", "character varying(20)". */
  type: string;
  notNull: boolean;
  hasDefault: boolean;
  /** Identity or generated column. */
  special: boolean;
  /** Indexes, constraints, views, sequences that depend on the column (pg_describe_object). */
  usedBy: string[];
}

export interface TableFacts {
  schema: string;
  name: string;
  /** relkind: r table, p partitioned table, … */
  kind: string;
  partitions: { schema: string; name: string; kind: string }[];
  /** A one-column integer primary key, to cut batches by. */
  pk: { column: string; type: string } | null;
  columns: Record<string, ColumnFacts>;
  /** Relation and constraint names already used in the table's schema (for names PostgreSQL would choose). */
  relationNames: Set<string>;
  constraintNames: Set<string>;
}

export interface TypeFacts {
  oid: number;
  typmod: number;
  name: string;
}

export interface Catalog {
  readonly available: boolean;
  table(rel: RelationName): Promise<TableFacts | null>;
  /** Whether any function of these names is volatile; null when none is known. */
  anyVolatile(functions: string[]): Promise<boolean | null>;
  type(text: string): Promise<TypeFacts | null>;
  /** Whether changing a column of type `from` to `to` (no USING) rewrites the table. */
  typeChangeRewrites(from: { typeOid: number; typmod: number }, to: TypeFacts): Promise<boolean>;
}

export const NO_CATALOG: Catalog = {
  available: false,
  table: async () => null,
  anyVolatile: async () => null,
  type: async () => null,
  typeChangeRewrites: async () => true,
};

const TABLE_SQL = /* SQL */ `
  SELECT c.oid::int8 AS oid, n.oid::int8 AS nsp, n.nspname AS schema, c.relname AS name, c.relkind::text AS kind
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.oid = to_regclass($1)`;

const PARTITIONS_SQL = /* SQL */ `
  SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS kind
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE i.inhparent = $1 ORDER BY n.nspname, c.relname`;

const INTEGER_PK_SQL = /* SQL */ `
  SELECT a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type
  FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
  WHERE i.indrelid = $1 AND i.indisprimary AND i.indnkeyatts = 1
    AND a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype)`;

/** NOT NULL constraints (PG18) and the column's own default are not "uses" of it. */
const COLUMNS_SQL = /* SQL */ `
  SELECT a.attname AS name, a.atttypid::int8 AS type_oid, a.atttypmod AS typmod,
         format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null, a.atthasdef AS has_default,
         (a.attidentity <> '' OR a.attgenerated <> '') AS special,
         ARRAY(SELECT DISTINCT pg_describe_object(d.classid, d.objid, d.objsubid)
               FROM pg_depend d
               WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = a.attrelid AND d.refobjsubid = a.attnum
                 AND d.classid <> 'pg_attrdef'::regclass
                 AND NOT (d.classid = 'pg_class'::regclass AND d.objid = a.attrelid)
                 AND NOT EXISTS (SELECT 1 FROM pg_constraint x
                                 WHERE d.classid = 'pg_constraint'::regclass AND x.oid = d.objid AND x.contype = 'n')
               ORDER BY 1) AS used_by
  FROM pg_attribute a
  WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped`;

const RELATION_NAMES_SQL = /* SQL */ `SELECT relname AS name FROM pg_class WHERE relnamespace = $1`;
const CONSTRAINT_NAMES_SQL = /* SQL */ `SELECT conname AS name FROM pg_constraint WHERE connamespace = $1`;

const VOLATILE_SQL = /* SQL */ `
  SELECT bool_or(provolatile = 'v') AS volatile FROM pg_proc WHERE proname = ANY($1::text[])`;

const TYPE_SQL = /* SQL */ `
  SELECT to_regtype($1)::oid::int8 AS oid, to_regtypemod($1) AS typmod,
         format_type(to_regtype($1), to_regtypemod($1)) AS name`;

const CAST_SQL = /* SQL */ `SELECT castmethod::text AS method FROM pg_cast WHERE castsource = $1 AND casttarget = $2`;

const TYPE_OID_SQL = /* SQL */ `SELECT $1::regtype::oid::int8 AS oid`;

/** Types whose typmod can grow without touching a row: varchar/varbit length, time precisions. */
const GROWABLE = ['varchar', 'varbit', 'timestamp', 'timestamptz', 'time', 'timetz', 'interval'];

export class PgCatalog implements Catalog {
  readonly available = true;
  private readonly tables = new Map<string, Promise<TableFacts | null>>();
  constructor(private readonly client: pg.Client) {}

  table(rel: RelationName): Promise<TableFacts | null> {
    const key = quoted(rel);
    let facts = this.tables.get(key);
    if (!facts) {
      facts = this.readTable(key);
      this.tables.set(key, facts);
    }
    return facts;
  }

  private async readTable(qualified: string): Promise<TableFacts | null> {
    const c = this.client;
    const t = (
      await c.query<{ oid: string; nsp: string; schema: string; name: string; kind: string }>(TABLE_SQL, [
        qualified,
      ])
    ).rows[0];
    if (!t) return null;
    const partitions = (
      await c.query<{ schema: string; name: string; kind: string }>(PARTITIONS_SQL, [t.oid])
    ).rows;
    const pk = (await c.query<{ column: string; type: string }>(INTEGER_PK_SQL, [t.oid])).rows[0] ?? null;
    const columns: Record<string, ColumnFacts> = {};
    const rows = await c.query<{
      name: string;
      type_oid: string;
      typmod: number;
      type: string;
      not_null: boolean;
      has_default: boolean;
      special: boolean;
      used_by: string[];
    }>(COLUMNS_SQL, [t.oid]);
    for (const r of rows.rows) {
      columns[r.name] = {
        typeOid: Number(r.type_oid),
        typmod: r.typmod,
        type: r.type,
        notNull: r.not_null,
        hasDefault: r.has_default,
        special: r.special,
        usedBy: r.used_by,
      };
    }
    const names = async (sql: string) =>
      new Set((await c.query<{ name: string }>(sql, [t.nsp])).rows.map((r) => r.name));
    return {
      schema: t.schema,
      name: t.name,
      kind: t.kind,
      partitions,
      pk,
      columns,
      relationNames: await names(RELATION_NAMES_SQL),
      constraintNames: await names(CONSTRAINT_NAMES_SQL),
    };
  }

  async anyVolatile(functions: string[]): Promise<boolean | null> {
    if (functions.length === 0) return false;
    const r = await this.client.query<{ volatile: boolean | null }>(VOLATILE_SQL, [functions]);
    return r.rows[0]?.volatile ?? null;
  }

  async type(text: string): Promise<TypeFacts | null> {
    try {
      const r = await this.client.query<{ oid: string | null; typmod: number; name: string }>(TYPE_SQL, [
        text,
      ]);
      const row = r.rows[0];
      return row?.oid ? { oid: Number(row.oid), typmod: row.typmod, name: row.name } : null;
    } catch {
      return null; // a malformed type name: the rewrite is not offered
    }
  }

  async typeChangeRewrites(from: { typeOid: number; typmod: number }, to: TypeFacts): Promise<boolean> {
    if (from.typeOid === to.oid) {
      if (from.typmod === to.typmod) return false;
      const oids = await Promise.all(
        [...GROWABLE, 'numeric'].map(async (t) =>
          Number((await this.client.query<{ oid: string }>(TYPE_OID_SQL, [t])).rows[0]?.oid),
        ),
      );
      const name = [...GROWABLE, 'numeric'][oids.indexOf(from.typeOid)];
      if (!name) return true;
      if (to.typmod === -1) return false;
      if (name === 'numeric') {
        const scale = (m: number) => (m - 4) & 0x7ff;
        const precision = (m: number) => ((m - 4) >> 16) & 0xffff;
        return (
          from.typmod === -1 ||
          scale(from.typmod) !== scale(to.typmod) ||
          precision(to.typmod) < precision(from.typmod)
        );
      }
      return from.typmod === -1 || to.typmod < from.typmod;
    }
    const r = await this.client.query<{ method: string }>(CAST_SQL, [from.typeOid, to.oid]);
    // Binary-coercible to a type without a length limit: PostgreSQL changes the catalog only.
    return !(r.rows[0]?.method === 'b' && to.typmod === -1);
  }
}
