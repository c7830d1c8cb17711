/**
 * Before/after state of the branch database: sizes, relfilenodes (rewrites), dead tuples, WAL
 * position, exact row counts, invalid indexes, NOT VALID constraints and the catalog schema.
 */
import type pg from 'pg';
import { quoteIdent } from '../util/pg.js';
import { type SchemaSnapshot, SYSTEM_SCHEMA_FILTER, snapshotSchema } from './schema.js';

export interface TableState {
  oid: number;
  /** "schema.table", as format('%I.%I') prints it. */
  name: string;
  schema: string;
  table: string;
  relfilenode: number;
  totalBytes: number;
  /** null when the dead-tuple count could not be read. */
  deadTuples: number | null;
  deadPct: number | null;
}

function deadPct(dead: number, live: number): number {
  return dead + live > 0 ? (100 * dead) / (dead + live) : 0;
}

export interface DatabaseSnapshot {
  tables: TableState[];
  rowCounts: Record<string, number>;
  invalidIndexes: string[];
  notValidConstraints: string[];
  walLsn: string | null;
  schema: SchemaSnapshot | null;
  /** How dead tuples were measured. */
  deadTupleSource: 'pgstattuple_approx' | 'n_dead_tup';
}

/** Ordinary and partitioned tables and materialized views in user schemas. */
export const USER_TABLES_SQL = `
  SELECT c.oid::int8 AS oid, n.nspname AS schema, c.relname AS table, format('%I.%I', n.nspname, c.relname) AS name,
         c.relkind::text AS kind, c.relfilenode::int8 AS relfilenode,
         pg_total_relation_size(c.oid)::int8 AS total_bytes
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'm') AND ${SYSTEM_SCHEMA_FILTER}
  ORDER BY n.nspname, c.relname`;

const HAS_PGSTATTUPLE_SQL = `SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pgstattuple') AS installed`;

/** Approximate but physical: skips all-visible pages using the visibility map. */
const PGSTATTUPLE_APPROX_SQL = `
  SELECT format('%I.%I', n.nspname, c.relname) AS name, s.dead_tuple_count::int8 AS dead
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  CROSS JOIN LATERAL pgstattuple_approx(c.oid) s
  WHERE c.relkind IN ('r', 'm') AND ${SYSTEM_SCHEMA_FILTER}`;

/** The statistics counters; read after pg_stat_clear_snapshot() so they are not a stale cached copy. */
const CLEAR_STATS_SNAPSHOT_SQL = `SELECT pg_stat_clear_snapshot()`;
const N_DEAD_TUP_SQL = `
  SELECT format('%I.%I', schemaname, relname) AS name, n_dead_tup::int8 AS dead
  FROM pg_stat_user_tables`;

const WAL_LSN_SQL = `SELECT pg_current_wal_lsn()::text AS lsn`;
export const WAL_DIFF_SQL = `SELECT pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn)::int8 AS bytes`;

const INVALID_INDEXES_SQL = `
  SELECT format('%I.%I', n.nspname, c.relname) AS name
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE NOT i.indisvalid AND ${SYSTEM_SCHEMA_FILTER} ORDER BY 1`;

const NOT_VALID_CONSTRAINTS_SQL = `
  SELECT format('%I.%I.%I', n.nspname, c.relname, con.conname) AS name
  FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE NOT con.convalidated AND ${SYSTEM_SCHEMA_FILTER} ORDER BY 1`;

interface UserTableRow {
  oid: string;
  schema: string;
  table: string;
  name: string;
  kind: string;
  relfilenode: string;
  total_bytes: string;
}

export async function listUserTables(client: pg.Client): Promise<UserTableRow[]> {
  return (await client.query<UserTableRow>(USER_TABLES_SQL)).rows;
}

/** "schema.table" -> exact count(*), for every ordinary table, partitioned table and matview. */
export async function exactRowCounts(client: pg.Client): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const t of await listUserTables(client)) {
    if (t.kind === 'm' && !(await isPopulated(client, Number(t.oid)))) continue;
    const { rows } = await client.query<{ n: string }>(`SELECT count(*)::int8 AS n FROM ${fromClause(t)}`);
    counts[t.name] = Number(rows[0]?.n ?? 0);
  }
  return counts;
}

/** ONLY: a parent's count must not include its inheritance children (partitioned tables have no rows of their own). */
function fromClause(t: UserTableRow): string {
  return `${t.kind === 'p' ? '' : 'ONLY '}${quoteIdent(t.schema)}.${quoteIdent(t.table)}`;
}

const MATVIEW_POPULATED_SQL = `SELECT relispopulated AS populated FROM pg_class WHERE oid = $1`;
async function isPopulated(client: pg.Client, oid: number): Promise<boolean> {
  const { rows } = await client.query<{ populated: boolean }>(MATVIEW_POPULATED_SQL, [oid]);
  return rows[0]?.populated ?? false;
}

/**
 * Per-table fingerprint of all rows: md5 over the row count and the sums of each row's md5
 * (split in two 60-bit halves). A multiset hash, so it is the same whatever order the rows are
 * stored in, and it needs constant memory on big tables.
 */
export async function tableChecksums(client: pg.Client): Promise<Record<string, string>> {
  return (await tableChecksumsAndCounts(client)).checksums;
}

/**
 * The fingerprints above and, from the same scan, the exact row count of every table (the same
 * tables exactRowCounts counts). A checkpoint records both: a fresh branch of it has exactly
 * these counts as long as the checkpoint still has these checksums (checked after every run).
 */
export async function tableChecksumsAndCounts(
  client: pg.Client,
): Promise<{ checksums: Record<string, string>; rowCounts: Record<string, number> }> {
  const checksums: Record<string, string> = {};
  const rowCounts: Record<string, number> = {};
  for (const t of await listUserTables(client)) {
    if (t.kind === 'm' && !(await isPopulated(client, Number(t.oid)))) continue;
    const { rows } = await client.query<{ h: string; n: string }>(
      `SELECT md5(format('%s:%s:%s', count(*), coalesce(sum(('x' || substr(h, 1, 15))::bit(60)::int8::numeric), 0),
                         coalesce(sum(('x' || substr(h, 16, 15))::bit(60)::int8::numeric), 0))) AS h,
              count(*)::int8 AS n
       FROM (SELECT md5(x::text) AS h FROM ${fromClause(t)} x) rows`,
    );
    checksums[t.name] = rows[0]?.h ?? '';
    rowCounts[t.name] = Number(rows[0]?.n ?? 0);
  }
  return { checksums, rowCounts };
}

async function deadTuples(client: pg.Client): Promise<{
  source: DatabaseSnapshot['deadTupleSource'];
  byName: Map<string, { dead: number }>;
}> {
  const byName = new Map<string, { dead: number }>();
  const { rows } = await client.query<{ installed: boolean }>(HAS_PGSTATTUPLE_SQL);
  if (rows[0]?.installed) {
    try {
      const r = await client.query<{ name: string; dead: string }>(PGSTATTUPLE_APPROX_SQL);
      for (const x of r.rows) byName.set(x.name, { dead: Number(x.dead) });
      return { source: 'pgstattuple_approx', byName };
    } catch {
      // No privilege to call it: fall back to the statistics counters.
    }
  }
  await client.query(CLEAR_STATS_SNAPSHOT_SQL);
  const r = await client.query<{ name: string; dead: string }>(N_DEAD_TUP_SQL);
  for (const x of r.rows) byName.set(x.name, { dead: Number(x.dead) });
  return { source: 'n_dead_tup', byName };
}

async function currentWalLsn(client: pg.Client): Promise<string | null> {
  try {
    return (await client.query<{ lsn: string }>(WAL_LSN_SQL)).rows[0]?.lsn ?? null;
  } catch {
    return null; // a standby, or no privilege: WAL is then not measured
  }
}

export async function walBytesBetween(
  client: pg.Client,
  from: string | null,
  to: string | null,
): Promise<number | null> {
  if (!from || !to) return null;
  const { rows } = await client.query<{ bytes: string }>(WAL_DIFF_SQL, [to, from]);
  return rows[0] ? Number(rows[0].bytes) : null;
}

/**
 * Everything the result compares before and after; `full: false` reads row counts only.
 * `knownRowCounts`: the exact counts are already known (a fresh branch of a checkpoint that
 * recorded them), so the tables are not scanned again.
 */
export async function snapshotDatabase(
  client: pg.Client,
  full: boolean,
  knownRowCounts?: Record<string, number>,
): Promise<DatabaseSnapshot> {
  const counts = async () => (knownRowCounts ? { ...knownRowCounts } : await exactRowCounts(client));
  if (!full) {
    return {
      tables: [],
      rowCounts: await counts(),
      invalidIndexes: [],
      notValidConstraints: [],
      walLsn: null,
      schema: null,
      deadTupleSource: 'n_dead_tup',
    };
  }
  const walLsn = await currentWalLsn(client);
  // Dead tuples first: a scan (the row counts below) prunes pages and would hide them.
  const dead = await deadTuples(client);
  const listed = await listUserTables(client);
  const rowCounts = await counts();
  const tables = listed.map((t) => {
    const deadCount = dead.byName.get(t.name)?.dead ?? (t.kind === 'p' ? 0 : null);
    return {
      oid: Number(t.oid),
      name: t.name,
      schema: t.schema,
      table: t.table,
      relfilenode: Number(t.relfilenode),
      totalBytes: Number(t.total_bytes),
      deadTuples: deadCount,
      // Share of dead among all tuples, against the exact live count: a branch is a new database,
      // so its n_live_tup starts at 0 and would make every dead tuple look like 100 %.
      deadPct: deadCount === null ? null : deadPct(deadCount, rowCounts[t.name] ?? 0),
    };
  });
  const invalidIndexes = (await client.query<{ name: string }>(INVALID_INDEXES_SQL)).rows.map((r) => r.name);
  const notValidConstraints = (await client.query<{ name: string }>(NOT_VALID_CONSTRAINTS_SQL)).rows.map(
    (r) => r.name,
  );
  const schema = await snapshotSchema(client);
  return {
    tables,
    rowCounts,
    invalidIndexes,
    notValidConstraints,
    walLsn,
    schema,
    deadTupleSource: dead.source,
  };
}
