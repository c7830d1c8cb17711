/**
 * A full disk under the state directory (found by the soak's full-disk fault): writing the
 * registry is a clear error naming the file, no partial temp file is left, and the registry keeps
 * its last complete content.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BackendError, describeError } from '../../src/errors.js';
import { stateWriteError } from '../../src/state/atomic-write.js';
import { Registry } from '../../src/state/registry.js';

const isRoot = process.getuid?.() === 0;

describe('state files on a full disk', () => {
  it('ENOSPC and EROFS become errors that name the file and say what to do', () => {
    const full = stateWriteError(
      '/s/registry.json',
      Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }),
    );
    expect(full).toBeInstanceOf(BackendError);
    expect(describeError(full)).toMatch(
      /^cannot write \/s\/registry\.json: no space left on the device holding it \(ENOSPC\)\nhint: free some space/,
    );
    const ro = stateWriteError('/s/registry.json', Object.assign(new Error('EROFS'), { code: 'EROFS' }));
    expect(describeError(ro)).toMatch(/read-only file system/);
    const other = new Error('EIO');
    expect(stateWriteError('/s/x', other)).toBe(other);
  });

  it.skipIf(!isRoot)('a full tmpfs: the registry update fails clearly and leaves no temp file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vers-db-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'vers-db-test', dir]);
    try {
      const registry = new Registry(dir);
      await registry.update((d) => {
        d.settings.before = 'full';
      });
      const saved = await readFile(join(dir, 'registry.json'), 'utf8');
      // dd stops (non-zero) when the volume is full: that is the point.
      spawnSync('dd', ['if=/dev/zero', `of=${join(dir, 'filler')}`, 'bs=4k'], { stdio: 'ignore' });
      const err = await registry
        .update((d) => {
          d.settings.big = 'x'.repeat(64 * 1024);
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BackendError);
      expect(describeError(err)).toMatch(
        /cannot write .*registry\.json: no space left on the device holding it/,
      );
      expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      expect(await readFile(join(dir, 'registry.json'), 'utf8')).toBe(saved);
    } finally {
      execFileSync('umount', [dir]);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
