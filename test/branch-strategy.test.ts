/** Which way branches are made, and why; the size syntax of `up --thin`; refusals that change nothing. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeBranchStrategy, filesystemType } from '../src/backends/branch-strategy.js';
import { supportsReflinks } from '../src/backends/local-clone.js';
import { formatSize, parseSize } from '../src/backends/thin-volume.js';
import { cli } from './helpers/cli.js';

describe('branch strategy', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('reads sizes like 20G and 512M, and refuses what XFS cannot hold', () => {
    expect(parseSize('20G')).toBe(20 * 2 ** 30);
    expect(parseSize('512M')).toBe(512 * 2 ** 20);
    expect(parseSize('1.5g')).toBe(1.5 * 2 ** 30);
    expect(parseSize('2GiB')).toBe(2 * 2 ** 30);
    expect(() => parseSize('100M')).toThrow(/too small/);
    expect(() => parseSize('lots')).toThrow(/cannot read the size/);
    expect(formatSize(20 * 2 ** 30)).toBe('20G');
  });

  it('says copy, and why, where the filesystem has no reflinks', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vers-db-strategy-'));
    dirs.push(dir);
    const fs = await filesystemType(dir);
    const reflinks = await supportsReflinks(dir);
    const b = await describeBranchStrategy({ dataDir: dir, serverMajor: 18 });
    expect(b.reflinks).toBe(reflinks);
    if (reflinks) {
      expect(b).toMatchObject({ mode: 'thin', strategy: 'FILE_COPY+clone' });
    } else {
      expect(b).toMatchObject({ mode: 'copy', filesystem: fs });
      expect(b.reason).toContain(`no reflinks on ${fs} at ${dir}`);
      expect(b.reason).toContain('vers-db up --thin');
    }
    // PostgreSQL before 18 has no file_copy_method: never thin, whatever the filesystem.
    expect((await describeBranchStrategy({ dataDir: dir, serverMajor: 15 })).mode).toBe('copy');
    // A server reached by DATABASE_URL: its files are not ours to probe.
    expect((await describeBranchStrategy({ dataDir: null, serverMajor: 18 })).mode).toBe('unknown');
    expect((await describeBranchStrategy({ dataDir: null, serverMajor: 18, forced: 'clone' })).mode).toBe(
      'thin',
    );
  });

  it('up --thin refuses a state directory whose server is DATABASE_URL, and changes nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vers-db-strategy-'));
    dirs.push(dir);
    const env = { VERS_DB_HOME: join(dir, '.vers-db'), DATABASE_URL: 'postgres://u:p@127.0.0.1:1/app' };
    const r = await cli(['up', '--thin', '1G'], env, dir);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/DATABASE_URL points at your own server/);
    const bad = await cli(['up', '--thin', 'big'], { VERS_DB_HOME: join(dir, '.vers-db') }, dir);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/cannot read the size "big"/);
  });
});
