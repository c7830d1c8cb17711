/**
 * Why an application probe waited on MySQL/MariaDB, from the lock sampler's runs for the probe's
 * connection while it waited: a metadata-lock wait on a lock the migration held (table_lock), a
 * metadata-lock wait queued behind the migration's own pending request while another session held
 * the table (lock_queue: the long-reader trap), an InnoDB row-lock wait on the migration's rows
 * (row_lock), or a wait on some other session (other_session). With no lock seen, the statement
 * was slow by itself (slow_execution). The holding statement is the migration statement running
 * when the wait began, or the last one begun (a transaction keeps its row locks until it ends).
 */
import type { RawWait, WaitCauseOf } from '../../../collector/probe-stats.js';
import type { WaitCause } from '../../../result.js';
import type { MysqlSamplerData, SampleTime, WaitRun } from '../sampler.js';
import { type RanStatement, statementAt } from './runner.js';

const SQL_SHOWN = 80;
const short = (sql: string) => (sql.length > SQL_SHOWN ? `${sql.slice(0, SQL_SHOWN - 1)}…` : sql);

/** The time a run covers on the clock: from its first sample's send to its last sample's receipt. */
function runTimes(run: WaitRun, samples: readonly SampleTime[], intervalMs: number): [number, number] {
  const first = samples[run.first];
  const last = samples[run.last];
  return [(first?.send ?? 0) - intervalMs, (last?.recv ?? 0) + intervalMs];
}

const KIND_ORDER: Record<WaitRun['kind'], number> = { metadata: 0, row: 1, processlist: 2 };

export function causeFinder(
  data: MysqlSamplerData,
  migration: number,
  ran: readonly RanStatement[],
  intervalMs: number,
): WaitCauseOf {
  return (w: RawWait): WaitCause | null => {
    const overlapping = data.waits
      .filter((r) => r.waiter === w.pid)
      .map((r) => {
        const [s, e] = runTimes(r, data.samples, intervalMs);
        return { run: r, overlap: Math.min(e, w.end) - Math.max(s, w.start) };
      })
      .filter((x) => x.overlap > 0)
      .sort((a, b) => b.overlap - a.overlap || KIND_ORDER[a.run.kind] - KIND_ORDER[b.run.kind]);
    const run = overlapping[0]?.run;
    const at = statementAt(ran, w.start);
    const statement = at ? at.statement.index : null;
    const sql = at ? short(at.statement.sql) : null;
    if (!run) {
      return {
        kind: 'slow_execution',
        relation: null,
        statement: null,
        sql: null,
        text: 'no lock wait was seen: the statement was slow by itself (the server was busy)',
      };
    }
    const by = `statement ${statement ?? '?'}${sql ? ` \`${sql}\`` : ''}`;
    const others = [...run.holders].filter((h) => h !== migration);
    if (run.kind === 'row') {
      return run.holders.has(migration)
        ? {
            kind: 'row_lock',
            relation: run.relation,
            statement,
            sql,
            text: `waited for a row lock (${run.mode}) on ${run.relation} held by the migration's ${by}`,
          }
        : {
            kind: 'other_session',
            relation: run.relation,
            statement: null,
            sql: null,
            text: `waited for a row lock on ${run.relation} held by session ${others.join(', ')}`,
          };
    }
    const relation = run.relation;
    const on = relation ? ` on ${relation}` : '';
    // The migration itself already waiting on the table when the probe began to: the probe queued
    // behind its request (an upgraded lock can look held by the migration while it still waits).
    // A brief wait of the migration later on (a COPY's final upgrade) does not make it a queue.
    const stuck = data.waits.find(
      (m) =>
        m.waiter === migration &&
        m.kind === 'metadata' &&
        m.relation === relation &&
        m.first <= run.first &&
        m.last >= run.first,
    );
    if (stuck || (run.queuedBehind.has(migration) && !run.holders.has(migration))) {
      const blockers = [...(stuck?.holders ?? run.holders)].filter((h) => h !== migration && h !== w.pid);
      const holders = blockers.length > 0 ? `session ${blockers.join(', ')}` : 'another session';
      return {
        kind: 'lock_queue',
        relation,
        statement,
        sql,
        text:
          `queued${on} behind the migration's ${by}, whose metadata-lock request waited ` +
          `for ${holders} (an open transaction that used the table)`,
      };
    }
    if (run.holders.has(migration)) {
      return {
        kind: 'table_lock',
        relation,
        statement,
        sql,
        text: `waited for a metadata lock (${run.mode})${on} held by the migration's ${by}`,
      };
    }
    return {
      kind: run.kind === 'processlist' ? 'table_lock' : 'other_session',
      relation,
      statement: run.kind === 'processlist' ? statement : null,
      sql: run.kind === 'processlist' ? sql : null,
      text:
        run.kind === 'processlist'
          ? `waited: "${run.mode}" (the processlist's account; holder not known)`
          : `waited for a metadata lock (${run.mode})${on} held by session ${others.join(', ') || '?'}`,
    };
  };
}
