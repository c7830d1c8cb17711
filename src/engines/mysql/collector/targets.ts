/**
 * Which tables the MySQL probes stand in for the application on: those with a primary key (a probe
 * addresses one row by it), the tables the migration names first, then the largest rest, as many
 * as the connection budget allows (two connections per table). The others are reported as
 * unmeasured, with the reason, never as 0 ms.
 */

import { emptyProbeStats } from '../../../collector/probe-stats.js';
import type { ProbeStats } from '../../../result.js';
import type { MysqlConnection } from '../client.js';
import { type ProbeTarget, probeTarget } from '../probe.js';
import type { TableSnapshot } from '../snapshot.js';

/** Default budget: tables probed at most (each takes a read and a write connection). */
export const MAX_PROBED_TABLES = 20;

export interface ProbePlan {
  targets: Array<{ relation: string; target: ProbeTarget }>;
  /** relation -> why it has no probe. */
  unmeasured: Map<string, string>;
}

export async function planProbes(
  c: MysqlConnection,
  database: string,
  tables: ReadonlyMap<string, TableSnapshot>,
  named: ReadonlySet<string>,
  budget = MAX_PROBED_TABLES,
): Promise<ProbePlan> {
  const tableOf = (relation: string) => relation.slice(database.length + 1);
  const size = (t: TableSnapshot) => t.dataBytes + t.indexBytes;
  const ordered = [...tables.values()].sort(
    (a, b) =>
      Number(named.has(tableOf(b.relation))) - Number(named.has(tableOf(a.relation))) || size(b) - size(a),
  );
  const plan: ProbePlan = { targets: [], unmeasured: new Map() };
  for (const t of ordered) {
    if (plan.targets.length >= budget) {
      plan.unmeasured.set(t.relation, `not probed: over the budget of ${budget} probed tables`);
      continue;
    }
    const target = await probeTarget(c, database, tableOf(t.relation));
    if (target) plan.targets.push({ relation: t.relation, target });
    else plan.unmeasured.set(t.relation, 'not probed: the table has no primary key to address a row by');
  }
  return plan;
}

export function unmeasuredStats(reason: string): ProbeStats {
  return { ...emptyProbeStats(), status: 'unmeasured', unmeasured_reason: reason };
}
