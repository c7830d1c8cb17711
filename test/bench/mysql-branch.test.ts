/**
 * The MySQL bench part on a tiny database: one row with a checkpoint, a branch and a reload, all
 * measured, the branch holding the data, and no server or directory left behind. (Timings are the
 * bench's business, not asserted here.)
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { markdownTable } from '../../bench/lib/report.js';
import { measureMysqlBranches, mysqlSection } from '../../bench/mysql-branch.js';
import { mariadbAvailable, noteSkipped } from '../helpers/mariadb.js';

noteSkipped('the MySQL bench smoke test');

describe.skipIf(!mariadbAvailable)('bench part 8 (MySQL branches) on a tiny database', () => {
  let dir = '';
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('times checkpoint, branch and reload side by side and removes every server', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vers-db-bench-mysql-smoke-'));
    const { chmod } = await import('node:fs/promises');
    await chmod(dir, 0o755);
    const { rows, thinMissing, load } = await measureMysqlBranches(
      dir,
      [{ label: 'tiny', bytes: 1024 * 1024, branchReps: 1 }],
      false,
    );
    expect(thinMissing).toMatch(/not asked/);
    expect(rows).toHaveLength(1);
    const r = rows[0]!;
    expect(r.users).toBeGreaterThanOrEqual(1000);
    expect(r.checkpoint.totalMs).toBeGreaterThan(0);
    expect(r.branches).toHaveLength(1);
    expect(r.reload.totalMs).toBeGreaterThan(r.reload.loadMs);
    expect(r.dumpBytes).toBeGreaterThan(0);
    const part = mysqlSection(rows, '10.11', thinMissing, load);
    expect(part.section.title).toMatch(/MySQL branches vs mysqldump reload/);
    expect(markdownTable(part.section.tables[0]!)).toMatch(/full copy|reflinked/);
    expect(part.targets[0]!.met).not.toBeNull();
    // Every server directory was destroyed; only the size's empty base remains.
    expect(await readdir(join(dir, 'mysql-tiny'))).toEqual([]);
  });
});
