/**
 * Before/after facts of one MySQL/MariaDB database and what their comparison says: tables rebuilt
 * (their InnoDB table id or tablespace changed: whatever ALGORITHM was asked for, the table was
 * copied), sizes (dead_tuples null: InnoDB purges old row versions itself and shows no count),
 * the redo bytes written meanwhile, and integrity: exact row counts of every table, and
 * CHECKSUM TABLE of the tables the migration does not name (not meant to change: any change there
 * is a problem).
 */
import { rowIntegrity } from '../../../collector/integrity.js';
import type { BloatEntry, Integrity } from '../../../result.js';
import type { MysqlConnection } from '../client.js';
import {
  exactRowCount,
  rebuilt,
  redoLsn,
  type TableSnapshot,
  tableChecksum,
  tableSnapshots,
} from '../snapshot.js';
import type { MysqlStatement } from '../split.js';

export interface MysqlFacts {
  tables: Map<string, TableSnapshot>;
  rowCounts: Record<string, number>;
  /** CHECKSUM TABLE of the tables the migration does not name. */
  checksums: Record<string, string | null>;
  lsn: bigint | null;
}

const tableOf = (relation: string, database: string) => relation.slice(database.length + 1);

/** Does any statement name the table (as a bare or backquoted word)? Case-insensitive, as table names on most setups. */
export function namedTables(statements: readonly MysqlStatement[], tables: readonly string[]): Set<string> {
  const text = statements.map((s) => s.sql.toLowerCase()).join('\n');
  const named = new Set<string>();
  for (const t of tables) {
    const lower = t.toLowerCase();
    const word = new RegExp(`(^|[^0-9a-z_$])${lower.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^0-9a-z_$])`);
    if (text.includes(`\`${lower}\``) || word.test(text)) named.add(t);
  }
  return named;
}

export async function readFacts(
  c: MysqlConnection,
  database: string,
  checksumTables: ReadonlySet<string> | null,
): Promise<MysqlFacts> {
  const tables = new Map((await tableSnapshots(c, database)).map((t) => [t.relation, t]));
  const rowCounts: Record<string, number> = {};
  const checksums: Record<string, string | null> = {};
  for (const relation of tables.keys()) {
    const table = tableOf(relation, database);
    rowCounts[relation] = await exactRowCount(c, database, table);
    if (checksumTables?.has(table)) checksums[relation] = await tableChecksum(c, database, table);
  }
  return { tables, rowCounts, checksums, lsn: await redoLsn(c) };
}

export function rewrites(before: MysqlFacts, after: MysqlFacts): string[] {
  const out: string[] = [];
  for (const [relation, b] of before.tables) {
    const a = after.tables.get(relation);
    if (a && rebuilt(b.identity, a.identity) === true) out.push(relation);
  }
  return out;
}

const bytes = (t: TableSnapshot) => t.dataBytes + t.indexBytes;

export function bloat(before: MysqlFacts, after: MysqlFacts): BloatEntry[] {
  return [...after.tables.values()].map((a) => {
    const b = before.tables.get(a.relation);
    return {
      relation: a.relation,
      size_before: b ? bytes(b) : 0,
      size_after: bytes(a),
      dead_tuples: null,
      dead_pct: null,
    };
  });
}

export function redoBytes(before: MysqlFacts, after: MysqlFacts): number | null {
  if (before.lsn === null || after.lsn === null) return null;
  const d = after.lsn - before.lsn;
  return d > 0n ? Number(d) : 0;
}

export function integrityOf(
  before: MysqlFacts,
  after: MysqlFacts,
  failedStatement: number | null,
  leftTransactionOpen: boolean,
): Integrity {
  const { problems, rowCounts } = rowIntegrity(
    before.rowCounts,
    after.rowCounts,
    failedStatement,
    leftTransactionOpen,
  );
  for (const [relation, sum] of Object.entries(before.checksums)) {
    const now = after.checksums[relation];
    if (now !== undefined && now !== sum) {
      problems.push(`table ${relation}, which the migration does not name, changed (CHECKSUM TABLE differs)`);
    }
  }
  return {
    ok: problems.length === 0,
    row_counts: rowCounts,
    invalid_indexes: [],
    not_valid_constraints: [],
    ...(problems.length > 0 ? { problems } : {}),
  };
}
