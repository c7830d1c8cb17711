/**
 * `vers-db demo` runs the example application by default (issue 9, "Done when"): its sign-ups keep
 * committing while each strategy runs, so the new-table swap loses the ones committed during its
 * copy and is rejected with the count, and the plain ADD COLUMN keeps every one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_DATABASE } from '../../src/cli/demo.js';
import { ComparisonSchema } from '../../src/result.js';
import { cli } from '../helpers/cli.js';
import { dropTestDatabase } from '../helpers/db.js';
import { createProject, type TestProject } from '../helpers/project.js';

describe('vers-db demo with the example workload', () => {
  let p: TestProject;
  beforeAll(async () => {
    p = await createProject('');
  });
  afterAll(async () => {
    await p.cleanup();
    await dropTestDatabase(DEMO_DATABASE);
  });

  it('rejects the new-table swap for the committed sign-ups it lost', async () => {
    const r = await cli(['demo', '--rows', '50000', '--json'], p.env, p.dir);
    expect(r.exitCode, r.stderr).toBe(0);
    const c = ComparisonSchema.parse(JSON.parse(r.stdout));
    const [a, b, swap] = c.results;
    expect(swap!.name).toBe('new-table-swap');
    const lost = swap!.workload!.writes;
    expect(lost.committed_during_migration).toBeGreaterThan(0);
    expect(lost.missing).toBeGreaterThan(0);
    expect(lost.found_in['public.users_old']).toBe(lost.missing);
    expect(c.rejected).toContainEqual({
      name: 'new-table-swap',
      reason: expect.stringMatching(
        /^integrity: \d+ of \d+ writes the application committed are missing after the migration/,
      ),
    });
    expect(a!.workload!.writes).toMatchObject({ missing: 0 });
    expect(a!.workload!.writes.committed).toBeGreaterThan(0);
    expect(c.recommendation?.name).toBe('add-column-with-default');
    // The backfill either kept every write, or failed SET NOT NULL on the rows signed up after its last batch.
    if (b!.status === 'failed')
      expect(b!.error).toMatch(/23502 column "premium_level" of relation "users" contains null values/);
    else expect(b!.workload!.writes.missing).toBe(0);
  });
});
