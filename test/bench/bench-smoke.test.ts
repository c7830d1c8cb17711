/**
 * The benchmark's part 1 on a tiny database: it must produce a row per clone strategy with
 * measured times, never claim a target it did not measure, and leave nothing behind but the
 * dataset it keeps for the later parts. (Timings are the bench's business, not asserted here.)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freshCopy } from '../../bench/fresh-copy.js';
import { markdownTable } from '../../bench/lib/report.js';
import type { BenchServer } from '../../bench/lib/servers.js';
import { withClient } from '../../src/util/pg.js';
import { adminConfig, dropTestDatabase, serverUrl, uniqueName } from '../helpers/db.js';

const listDatabases = () =>
  withClient(adminConfig(), async (c) =>
    (await c.query<{ datname: string }>('SELECT datname FROM pg_database')).rows.map((r) => r.datname),
  );

describe('bench part 1 (fresh copy) on a tiny database', () => {
  let dir = '';
  let kept = '';

  afterAll(async () => {
    if (kept) await dropTestDatabase(kept);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('times a branch per clone strategy and the reset loop, and cleans up after itself', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vers-db-bench-smoke-'));
    const server: BenchServer = {
      label: 'PG18 embedded',
      version: 'PostgreSQL 18',
      url: serverUrl(),
      dataDir: dir,
      clientBin: null,
      stop: async () => {},
    };
    const before = new Set(await listDatabases());
    const label = uniqueName('tiny');
    const result = await freshCopy(
      {
        dir,
        cores: 2,
        pg18: server,
        pg15: null,
        pg15Missing: 'not started by this test',
        sizes: [{ label, targetBytes: 0, branchReps: 1 }],
        usersFor: () => 2000,
      },
      false,
    );
    kept = result.kept18.database;

    const [main] = result.part.section.tables;
    const rows = main!.rows;
    // WAL_LOG, FILE_COPY, clone, then the reset loop; no pg_restore row without a PG15 server.
    expect(rows.map((r) => r[2])).toEqual([
      'vers-db branch, WAL_LOG',
      'vers-db branch, FILE_COPY',
      expect.stringContaining('file_copy_method=clone'),
      'reset loop: drop + create + schema + generate',
    ]);
    for (const r of rows) expect(r[3]).toMatch(/^\d+(\.\d+)? (ms|s)$/);
    expect(result.kept18).toMatchObject({ users: 2000, orders: 4000, dumpFile: null });
    expect(result.kept15).toBeNull();
    // Without pg_restore the 10× target is reported as not measured, not as met or missed.
    expect(result.part.targets[0]).toMatchObject({ met: null });
    expect(markdownTable(main!)).toContain('| vers-db branch, WAL_LOG |');

    // Checkpoints and branches are gone; only the kept source database is new.
    const added = (await listDatabases()).filter((d) => !before.has(d));
    expect(added).toEqual([kept]);
  });
});
