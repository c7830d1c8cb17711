/**
 * One connection budget per PostgreSQL server, shared by every strategy this process runs on it
 * (parallel strategies of one test, parallel branches of a suite, concurrent MCP calls). Each
 * strategy reserves what it will open — its own sessions plus its probes — before it starts,
 * and waits in line (first come, first served) while the server has no room: parallel runs
 * queue instead of failing with "too many clients" (issue 10: 20 tables with --parallel 8
 * exhausted the server's connections).
 */
import type pg from 'pg';
import { MAX_PROBE_CONNECTIONS } from '../collector/probe-budget.js';
import { CancelledError } from '../errors.js';
import { withClient } from '../util/pg.js';

/** Sessions a strategy opens besides probes: snapshot/control, migration, sampler, long reader, canceller, validation. */
export const BASE_CONNECTIONS = 6;
/** Left free for the application, the backend's admin sessions and other clients. */
const HEADROOM = 10;

const ROOM_SQL = `
  SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int
           - (SELECT count(*) FROM pg_stat_activity
              -- A role without pg_read_all_stats sees other roles' sessions with backend_type
              -- NULL: count them too (a few background workers are counted as well: conservative).
              WHERE backend_type = 'client backend' OR backend_type IS NULL)::int AS free,
         (SELECT count(*) FILTER (WHERE c.relkind IN ('r', 'p')) * 2 + count(*) FILTER (WHERE c.relkind IN ('v', 'm'))
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'p', 'v', 'm')
            AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%')::int AS probes`;

interface Waiter {
  n: number;
  grant: () => void;
}

/** A first-come, first-served counting semaphore. */
export class ConnectionBudget {
  private used = 0;
  private readonly queue: Waiter[] = [];

  constructor(public total: number) {}

  /** Nothing held and nobody waiting: the total may be re-measured. */
  get idle(): boolean {
    return this.used === 0 && this.queue.length === 0;
  }

  /** Take `n` (at most the total); resolves with the release function once they are free. */
  acquire(n: number, signal?: AbortSignal): Promise<() => void> {
    const want = Math.max(1, Math.min(n, this.total));
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.used -= want;
      this.drain();
    };
    if (this.queue.length === 0 && this.used + want <= this.total) {
      this.used += want;
      return Promise.resolve(release);
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        n: want,
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      const onAbort = () => {
        const i = this.queue.indexOf(waiter);
        if (i >= 0) this.queue.splice(i, 1);
        this.drain();
        reject(new CancelledError());
      };
      if (signal?.aborted) return reject(new CancelledError());
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
    });
  }

  private drain(): void {
    while (this.queue.length > 0 && this.used + this.queue[0]!.n <= this.total) {
      const next = this.queue.shift()!;
      this.used += next.n;
      next.grant();
    }
  }
}

const budgets = new Map<string, ConnectionBudget>();

const serverKey = (c: pg.ClientConfig) => `${c.host ?? 'localhost'}:${c.port ?? 5432}`;

export interface Reservation {
  /** Probe connections this strategy may open. */
  probeConnections: number;
  /** Connections reserved (base + probes). */
  reserved: number;
  release(): void;
}

/**
 * Reserve the connections one strategy on this branch will open. The server's budget is sized
 * from its free connections whenever this process holds none of it.
 */
export async function reserveConnections(
  config: pg.ClientConfig,
  options: { probes: boolean; signal?: AbortSignal },
): Promise<Reservation> {
  const { signal } = options;
  const room = await withClient(
    config,
    async (c) => (await c.query<{ free: number; probes: number }>(ROOM_SQL)).rows[0]!,
    'vers-db:budget',
  );
  const key = serverKey(config);
  let budget = budgets.get(key);
  // +1: the connection that just asked is closed again.
  const total = Math.max(1, room.free + 1 - HEADROOM);
  if (!budget) {
    budget = new ConnectionBudget(total);
    budgets.set(key, budget);
  } else if (budget.idle) budget.total = total;
  const want = BASE_CONNECTIONS + (options.probes ? Math.min(MAX_PROBE_CONNECTIONS, room.probes) : 0);
  const reserved = Math.max(1, Math.min(want, budget.total));
  const release = await budget.acquire(reserved, signal);
  return { probeConnections: Math.max(0, reserved - BASE_CONNECTIONS), reserved, release };
}
