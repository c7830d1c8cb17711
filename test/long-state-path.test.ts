/**
 * Issue 10: a long state path made the embedded server fail to start (a Unix socket path must fit
 * in 108 bytes). The socket then goes to a short private directory; the server starts and answers.
 */
import { chmod, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureEmbedded, stopEmbedded } from '../src/backends/embedded.js';
import { SOCKET_PATH_MAX, socketDirFor } from '../src/backends/socket-dir.js';
import { InvalidInputError } from '../src/errors.js';
import { deriveBranchName, validateName } from '../src/state/names.js';
import { configFromUrl, withClient } from '../src/util/pg.js';

let root: string | undefined;
let home: string | undefined;
afterAll(async () => {
  if (home) await stopEmbedded(home).catch(() => undefined);
  if (root) await rm(root, { recursive: true, force: true });
});

describe('a long state path', () => {
  it('keeps short data directories as the socket directory, moves long ones to /tmp', () => {
    expect(socketDirFor('/home/me/project/.vers-db/pg')).toBe('/home/me/project/.vers-db/pg');
    const long = `/home/me/${'deep/'.repeat(30)}.vers-db/pg`;
    const dir = socketDirFor(long);
    expect(dir).toMatch(/^\/tmp\/vers-db-[0-9a-f]{16}$/);
    expect(socketDirFor(long)).toBe(dir);
    expect(Buffer.byteLength(join(dir, '.s.PGSQL.65535.lock'))).toBeLessThanOrEqual(SOCKET_PATH_MAX);
  });

  it('starts the embedded server under a 170-character state path', async () => {
    root = await mkdtemp(join(tmpdir(), 'vers-db-long-'));
    await chmod(root, 0o755);
    home = join(root, 'a-rather-long-project-directory-name'.repeat(4), '.vers-db');
    expect(home.length).toBeGreaterThan(150);
    await mkdir(home, { recursive: true });
    for (let d = home; d.length > root.length; d = join(d, '..')) await chmod(d, 0o755);
    const server = await ensureEmbedded(home, { persistent: true });
    const one = await withClient(
      configFromUrl(server.url),
      async (c) => (await c.query('SELECT 1 AS one')).rows,
    );
    expect(one).toEqual([{ one: 1 }]);
    const socketDir = socketDirFor(server.state.dataDir);
    expect(socketDir.startsWith('/tmp/vers-db-')).toBe(true);
    expect((await stat(socketDir)).mode & 0o777).toBe(0o700);
  });
});

describe('tags and branch names', () => {
  it('must start with a letter or digit', () => {
    expect(() => validateName('checkpoint tag', '-rf')).toThrow(InvalidInputError);
    expect(() => validateName('checkpoint tag', '-rf')).toThrow(
      'invalid checkpoint tag "-rf": it starts with "-"',
    );
    expect(() => validateName('branch name', '.hidden')).toThrow('it starts with "."');
    expect(validateName('checkpoint tag', 'v1.2_before-x')).toBe('v1.2_before-x');
    expect(deriveBranchName('_draft.sql', 'abc')).toBe('draft-abc');
  });
});
