/**
 * Which relations the probes stand in for the application on, and how each is looked up: every
 * table, partitioned table and partition, view and materialized view in user schemas, as many as
 * the connection budget allows — first those the caller names, then those the migration names,
 * then their partitions, then the views and materialized views that depend on them, then the
 * largest rest. What does not fit, and every foreign table, is reported as unmeasured.
 */
import type pg from 'pg';
import { InvalidInputError } from '../errors.js';
import { findKeyColumn, type KeyColumn, sampleKeyValues } from './sample-keys.js';
import type { SqlStatement } from './split.js';

export type RelationKind = 'table' | 'partitioned' | 'partition' | 'view' | 'matview';

export interface ProbeTarget {
  /** "schema.name" as shown in the result. */
  relation: string;
  schema: string;
  table: string;
  kind: RelationKind;
  /** How a read looks a row up; null for a view (read with a bounded scan). */
  key: KeyColumn | null;
  /** Key values drawn from across the relation. */
  keys: string[];
  /** A column a cross-check `UPDATE … SET c = c` may write (not generated, not identity ALWAYS). */
  updatable: string | null;
  /** Tables get a write probe; views and materialized views only a read probe. */
  writes: boolean;
}

export interface UnmeasuredRelation {
  relation: string;
  reason: string;
}

export interface ProbePlan {
  targets: ProbeTarget[];
  unmeasured: UnmeasuredRelation[];
}

interface RelationRow {
  schema: string;
  table: string;
  name: string;
  relkind: string;
  is_partition: boolean;
  bytes: string;
  /** Relations this view or materialized view reads, for "depends on a relation the migration names". */
  depends_on: string[];
  /** For a partition, its parent. */
  parent: string | null;
}

/** User relations an application can read, with what a view depends on and a partition's parent. */
const RELATIONS_SQL = `
  SELECT n.nspname AS schema, c.relname AS table, format('%I.%I', n.nspname, c.relname) AS name,
         c.relkind::text AS relkind, c.relispartition AS is_partition,
         pg_total_relation_size(c.oid)::int8 AS bytes,
         coalesce((SELECT array_agg(DISTINCT d.refobjid::regclass::text)
                   FROM pg_rewrite r JOIN pg_depend d ON d.objid = r.oid AND d.classid = 'pg_rewrite'::regclass
                   WHERE r.ev_class = c.oid AND d.refobjid <> c.oid AND d.refclassid = 'pg_class'::regclass),
                  '{}') AS depends_on,
         (SELECT i.inhparent::regclass::text FROM pg_inherits i WHERE i.inhrelid = c.oid LIMIT 1) AS parent
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
    AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`;

/** A column a rolled-back `SET c = c` can write: not generated, not GENERATED ALWAYS, preferably unindexed (HOT). */
const UPDATABLE_COLUMN_SQL = `
  SELECT a.attname AS column
  FROM pg_attribute a
  WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
    AND a.attgenerated = '' AND a.attidentity <> 'a'
  ORDER BY EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND a.attnum = ANY(i.indkey)), a.attnum
  LIMIT 1`;

const RESOLVE_SQL = `SELECT format('%I.%I', n.nspname, c.relname) AS name
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)`;

const FOREIGN_REASON =
  'foreign table: in a branch it still points at the real remote server, so it is never probed';
const BUDGET_REASON =
  'not probed: no connection left in the budget (probe it by naming it, or raise max_connections)';

const kindOf = (row: RelationRow): RelationKind =>
  row.relkind === 'v'
    ? 'view'
    : row.relkind === 'm'
      ? 'matview'
      : row.relkind === 'p'
        ? 'partitioned'
        : row.is_partition
          ? 'partition'
          : 'table';

/** Unqualified name as the parse tree gives it, and the regclass text of a relation. */
const bare = (name: string) => name.replace(/^.*\./, '').replace(/^"|"$/g, '');

/**
 * Order the relations, fit them into `budget` connections (a read probe each, plus a write probe
 * for tables), and look up each one's key column and key values.
 */
export async function planProbes(
  control: pg.Client,
  statements: readonly SqlStatement[] | null,
  named: readonly string[],
  budget: number,
): Promise<ProbePlan> {
  const rows = (await control.query<RelationRow>(RELATIONS_SQL)).rows;
  const namedNames = new Set<string>();
  for (const n of named) namedNames.add(await resolveNamed(control, n));
  const mentioned = new Set(statements?.flatMap((s) => s.relations) ?? []);
  const isNamed = (r: RelationRow) => namedNames.has(r.name);
  const isMentioned = (r: RelationRow) => mentioned.has(r.table) || mentioned.has(r.name);
  const firstTier = new Set(rows.filter((r) => isNamed(r) || isMentioned(r)).map((r) => r.name));
  const touches = (list: readonly string[]) => list.some((d) => firstTier.has(d) || mentioned.has(bare(d)));
  const tier = (r: RelationRow): number => {
    if (isNamed(r)) return 0;
    if (isMentioned(r)) return 1;
    if (r.parent && touches([r.parent])) return 2;
    if (touches(r.depends_on)) return 3;
    return 4;
  };
  const ordered = [...rows].sort(
    (a, b) => tier(a) - tier(b) || Number(b.bytes) - Number(a.bytes) || a.name.localeCompare(b.name),
  );
  const unmeasured: UnmeasuredRelation[] = [];
  const chosen: RelationRow[] = [];
  let left = budget;
  for (const r of ordered) {
    if (r.relkind === 'f') {
      unmeasured.push({ relation: r.name, reason: FOREIGN_REASON });
      continue;
    }
    const cost = r.relkind === 'v' || r.relkind === 'm' ? 1 : 2;
    if (cost > left) {
      unmeasured.push({ relation: r.name, reason: BUDGET_REASON });
      continue;
    }
    left -= cost;
    chosen.push(r);
  }
  const targets: ProbeTarget[] = [];
  for (const r of chosen) targets.push(await describeTarget(control, r));
  return { targets, unmeasured };
}

async function describeTarget(control: pg.Client, r: RelationRow): Promise<ProbeTarget> {
  const kind = kindOf(r);
  const writes = kind !== 'view' && kind !== 'matview';
  const base = { schema: r.schema, table: r.table };
  let key: KeyColumn | null = kind === 'view' ? null : await findKeyColumn(control, base);
  // A materialized view without an index (or a partitioned parent) has no ctid to look up by.
  if (key?.via === 'ctid' && kind !== 'table' && kind !== 'partition') key = null;
  const keys = key ? await sampleKeyValues(control, key).catch(() => []) : [];
  if (key && keys.length === 0) key = null;
  const updatable = writes
    ? ((await control.query<{ column: string }>(UPDATABLE_COLUMN_SQL, [r.name])).rows[0]?.column ?? null)
    : null;
  return { relation: r.name, ...base, kind, key, keys, updatable, writes };
}

/** "schema.table" or "table" as the catalog spells it; a name that does not exist is an input error. */
async function resolveNamed(control: pg.Client, name: string): Promise<string> {
  const trimmed = name.trim();
  if (!trimmed) throw new InvalidInputError('probeTables contains an empty relation name');
  const found = await control
    .query<{ name: string }>(RESOLVE_SQL, [trimmed])
    .then((r) => r.rows[0]?.name)
    .catch(() => undefined);
  // Not there yet (the migration creates it): it cannot be probed before it exists, but is not an error.
  return found ?? trimmed;
}
