/**
 * A migration that updates a row and then asks for a stronger table lock deadlocks with any
 * application write of that row in between. The probe that deadlocks is a finding about the
 * migration (the application would deadlock too), reported as such, not an error of the tool.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rank } from '../../src/analysis/rank.js';
import { measureMigration } from '../../src/collector/index.js';
import { testDatabase } from './fixtures.js';

const SCHEMA = 'CREATE TABLE one (id int PRIMARY KEY, v int); INSERT INTO one VALUES (1, 0); ANALYZE one;';
const UPGRADE = `BEGIN;
UPDATE one SET v = v + 1 WHERE id = 1;
SELECT pg_sleep(0.3);
LOCK TABLE one IN ACCESS EXCLUSIVE MODE;
COMMIT;
`;

describe('a probe that deadlocks with the migration', () => {
  let db: Awaited<ReturnType<typeof testDatabase>>;
  beforeAll(async () => {
    db = await testDatabase('coll_deadlock', SCHEMA);
  });
  afterAll(async () => db?.drop());

  it('is counted as a deadlock of the application, and the strategy loses the ranking for it', async () => {
    const result = await measureMigration({
      name: 'lock-upgrade',
      branch: db.name,
      connection: db.config,
      migration: { kind: 'sql', sql: UPGRADE },
    });
    const writes = result.blocking.tables['public.one']!.writes;
    // The probe waited on the row first, so its deadlock check runs first and it is the victim.
    expect(result.status, result.error ?? '').toBe('passed');
    expect(writes.deadlocks).toBeGreaterThanOrEqual(1);
    expect(writes.errors).toBe(0);
    expect(result.timeline?.waits.some((w) => w.deadlock && w.relation === 'public.one')).toBe(true);
    const safe = {
      ...result,
      name: 'other',
      blocking: { ...result.blocking, writes: { ...writes, deadlocks: 0 } },
    };
    const ranking = rank([result, { ...safe, duration_ms: result.duration_ms * 10 }]);
    expect(ranking.recommendation?.name).toBe('other');
    expect(ranking.recommendation?.reasons.join('\n')).toMatch(
      /lock-upgrade: \d+ application statement\(s\) deadlocked/,
    );
  });
});
