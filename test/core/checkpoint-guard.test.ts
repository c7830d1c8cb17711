/**
 * The after-run checkpoint check when the server restarts under the run (found by the soak's
 * server-restart fault): a server that is briefly away is waited for; one that stays away leaves
 * every result in place, none reported as passed, and the checkpoint is not called damaged.
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backends/backend.js';
import { failIfCheckpointChanged, isUnreachable } from '../../src/core/checkpoint-guard.js';
import type { Context } from '../../src/core/context.js';
import { blankResult } from '../../src/core/settle.js';
import { BackendError } from '../../src/errors.js';

const ctx = { log: () => {} } as unknown as Context;
const SHUTTING_DOWN = new BackendError(
  'cannot connect to PostgreSQL at postgres://postgres:***@127.0.0.1:5432/postgres: the database system is shutting down',
);

function backendFailing(times: number, err: unknown, then: string[] = []): Backend & { calls: number } {
  const b = {
    calls: 0,
    async verifyCheckpoint() {
      b.calls++;
      if (b.calls <= times) throw err;
      return then;
    },
  };
  return b as unknown as Backend & { calls: number };
}

function results() {
  const failed = blankResult('b', 'b-1');
  failed.status = 'failed';
  failed.error = 'could not be measured: terminating connection due to administrator command';
  return [blankResult('a', 'a-1'), failed];
}

describe('failIfCheckpointChanged with the server away', () => {
  it('knows connection failures from other errors', () => {
    expect(isUnreachable(SHUTTING_DOWN)).toBe(true);
    expect(isUnreachable(Object.assign(new Error('x'), { code: '57P03' }))).toBe(true);
    expect(isUnreachable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isUnreachable(new Error('permission denied for database'))).toBe(false);
  });

  it('waits for a server that comes back, then verifies as usual', async () => {
    const backend = backendFailing(2, SHUTTING_DOWN);
    const rs = results();
    await failIfCheckpointChanged(ctx, backend, 'base', rs, { waitMs: 5000 });
    expect(backend.calls).toBe(3);
    expect(rs.map((r) => r.status)).toEqual(['passed', 'failed']);
  });

  it('keeps every result when the server stays away: nothing passes, nothing is thrown', async () => {
    const backend = backendFailing(Number.POSITIVE_INFINITY, SHUTTING_DOWN);
    const rs = results();
    await failIfCheckpointChanged(ctx, backend, 'base', rs, { waitMs: 600 });
    expect(rs).toHaveLength(2);
    expect(rs[0]!.status).toBe('failed');
    expect(rs[0]!.error).toMatch(/^the checkpoint could not be verified after the run: cannot connect/);
    expect(rs[1]!.error).toMatch(/could not be measured: terminating connection/); // its own reason stays
    for (const r of rs) expect(r.integrity.ok).toBe(false);
  });

  it('still throws what is not a connection failure', async () => {
    const backend = backendFailing(1, new Error('permission denied for database x'));
    await expect(failIfCheckpointChanged(ctx, backend, 'base', results(), { waitMs: 600 })).rejects.toThrow(
      /permission denied/,
    );
  });
});
