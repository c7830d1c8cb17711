/**
 * How many probe connections a measurement may open: the server's free connections less headroom
 * for the application, the sampler and the snapshots, and never more than MAX_PROBE_CONNECTIONS.
 */
import type pg from 'pg';

/** At most this many probe connections (read + write per table, read per view); beyond it the most relevant first. */
export const MAX_PROBE_CONNECTIONS = 40;
/** Connections left free for the application, the sampler and the snapshots. */
const CONNECTION_HEADROOM = 10;

/** Sessions of other roles show a NULL backend_type to a role without pg_read_all_stats (the branch owner): they count. */
const FREE_CONNECTIONS_SQL = `
  SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int
         - (SELECT count(*) FROM pg_stat_activity
            WHERE backend_type = 'client backend' OR backend_type IS NULL)::int AS free`;

/** Probe connections the server can spare: its free connections less headroom, at most MAX_PROBE_CONNECTIONS. */
export async function probeBudget(control: pg.Client): Promise<number> {
  const free = Number((await control.query<{ free: number }>(FREE_CONNECTIONS_SQL)).rows[0]?.free ?? 0);
  return Math.max(0, Math.min(MAX_PROBE_CONNECTIONS, free - CONNECTION_HEADROOM));
}
