/**
 * VersClient against the fake vers: the argv it sends, the JSON it reads through noise, how
 * exit codes become typed errors, exec's remote exit code, tunnels, deadlines, cancellation,
 * and that the API key never shows. Also that the fake rejects what the real v0.10.0 rejects.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/backends/embedded.js';
import {
  BackendError,
  CancelledError,
  ConflictError,
  describeError,
  InvalidInputError,
  NotFoundError,
} from '../../src/errors.js';
import { withClient } from '../../src/util/pg.js';
import {
  parseJsonOutput,
  VersAuthError,
  VersCancelledError,
  VersClient,
  VersConflictError,
  VersNotFoundError,
  VersNotInstalledError,
  VersTimeoutError,
  VersTooOldError,
} from '../../src/vers/index.js';
import { INITIAL_PASSWORD_FOR_TESTS } from './constants.js';
import { API_KEY, type FakeVersWorld, fakeVers, fakeVersWorld } from './fake-env.js';

let world: FakeVersWorld;
let vm: string;
let commit: string;

const client = (extra: NodeJS.ProcessEnv = {}) =>
  new VersClient({ env: { ...world.env, ...extra }, cwd: world.root });

beforeAll(async () => {
  world = await fakeVersWorld();
  vm = (await client().run()).vmId;
  commit = (await client().commitCreate(vm)).commitId;
});

afterAll(async () => {
  await world?.teardown();
});

describe('parseJsonOutput', () => {
  it('reads the document after noise lines and ignores noise after it', () => {
    const out =
      'Warning: vers.toml not found, using default configuration\n💡 Update available\n{\n  "vm_id": "x",\n  "nested": {\n    "a": [1]\n  }\n}\nlate notice\n';
    expect(parseJsonOutput(out, 'vers run')).toEqual({ vm_id: 'x', nested: { a: [1] } });
    expect(parseJsonOutput('[\n  {\n    "a": 1\n  }\n]\n', 'vers status')).toEqual([{ a: 1 }]);
    expect(() => parseJsonOutput('No API key found.\n', 'vers status')).toThrow(/printed no JSON/);
  });
});

describe('argv and JSON against the fake', () => {
  it('puts exec flags before `--` and the VM UUID, and always passes -y to delete', async () => {
    const log = join(world.root, 'argv.log');
    const c = client({ FAKE_VERS_LOG: log });
    await c.exec(vm, 'true', { timeoutMs: 5000, workdir: 'work', stdin: 'x' });
    const extra = (await c.branch(commit, 1)).newIds;
    await c.delete(extra);
    const calls = (await readFile(log, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).argv as string[]);
    const exec = calls.find((a) => a[0] === 'exec')!;
    expect(exec.slice(0, exec.indexOf('--') + 2)).toEqual(['exec', '-t', '5', '-w', 'work', '-i', '--', vm]);
    expect(exec.slice(exec.indexOf('--') + 2, exec.indexOf('--') + 4)).toEqual(['bash', '-c']);
    expect(calls.find((a) => a[0] === 'branch')).toEqual([
      'branch',
      commit,
      '--count',
      '1',
      '--wait',
      '--format',
      'json',
    ]);
    expect(calls.find((a) => a[0] === 'delete')).toEqual(['delete', '-y', extra[0]]);
    expect(world.vmIds()).toEqual([vm]);
  });

  it('parses JSON behind the update notice and the vers.toml warning', async () => {
    const noisy = client({ FAKE_VERS_NOISE: '1' });
    const made = await noisy.runCommit(commit);
    expect(made.vmId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await noisy.vmStatus(made.vmId)).state).toBe('running');
    expect((await noisy.info(made.vmId)).parent_commit_id).toBe(commit);
    await noisy.delete([made.vmId]);
    expect(world.vmIds()).toEqual([vm]);
  });

  it('creates, reads, lists and deletes tags', async () => {
    const c = client();
    await c.tagCreate('client-tag', commit, { description: 'test' });
    expect(await c.tagGet('client-tag')).toMatchObject({ tag_name: 'client-tag', commit_id: commit });
    expect((await c.tagList()).map((t) => t.tag_name)).toContain('client-tag');
    await expect(c.tagCreate('client-tag', commit)).rejects.toBeInstanceOf(VersConflictError);
    await c.tagDelete('client-tag');
    await expect(c.tagGet('client-tag')).rejects.toBeInstanceOf(VersNotFoundError);
  });

  it('refuses anything but explicit UUIDs (tags, aliases, HEAD) before calling vers', async () => {
    await expect(client().runCommit('client-tag')).rejects.toBeInstanceOf(InvalidInputError);
    await expect(client().exec('my-alias', 'true', { timeoutMs: 1000 })).rejects.toThrow(/is not a UUID/);
  });
});

describe('exec', () => {
  it('returns the remote exit code (even 3 or 6) and strips the sentinel', async () => {
    for (const code of [0, 1, 3, 6, 127]) {
      const r = await client().exec(vm, `printf 'no newline'; exit ${code}`, { timeoutMs: 10_000 });
      expect(r).toMatchObject({ exitCode: code, stdout: 'no newline' });
    }
    const r = await client().exec(vm, 'echo out; echo err >&2; printf "%s\\n" "__VERSDB_EXIT__99"', {
      timeoutMs: 10_000,
    });
    expect(r).toMatchObject({ exitCode: 0, stdout: 'out\n__VERSDB_EXIT__99\n', stderr: 'err\n' });
  });

  it('passes any script text and stdin through unchanged', async () => {
    const script = `cat > "$HOME/in.txt"; printf '%s|' "it's" '"double"' '$HOME' '\`tick\`'; cat "$HOME/in.txt"`;
    const r = await client().exec(vm, script, { timeoutMs: 10_000, stdin: 'line 1\nline 2\n' });
    expect(r.stdout).toBe(`it's|"double"|$HOME|\`tick\`|line 1\nline 2\n`);
  });

  it('sees the VM PostgreSQL in its environment', async () => {
    const r = await client().exec(vm, 'psql -XtAc "SELECT 40 + 2"', { timeoutMs: 10_000 });
    expect(r.stdout.trim()).toBe('42');
  });

  it('a command that outlives -t is a timeout error, not a result', async () => {
    const start = Date.now();
    const err = await client()
      .exec(vm, 'sleep 20', { timeoutMs: 1000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VersTimeoutError);
    expect(err).toBeInstanceOf(BackendError);
    expect((err as Error).message).toContain(`did not finish within 1 s`);
    expect(Date.now() - start).toBeLessThan(8000);
  });

  it('exit 6 from vers (injected) is a timeout error', async () => {
    const err = await client({ FAKE_VERS_FAIL: 'exec:6' })
      .exec(vm, 'true', { timeoutMs: 5000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VersTimeoutError);
    expect((err as VersTimeoutError).versExitCode).toBe(6);
  });

  it('an unknown VM is a not-found error', async () => {
    const err = await client()
      .exec('00000000-0000-4000-8000-000000000000', 'true', { timeoutMs: 5000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VersNotFoundError);
    expect(err).toBeInstanceOf(NotFoundError);
  });

  it('an AbortSignal stops the call at once', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const start = Date.now();
    const err = await client()
      .exec(vm, 'sleep 30', { timeoutMs: 60_000, signal: ac.signal })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VersCancelledError);
    expect(err).toBeInstanceOf(CancelledError);
    expect(Date.now() - start).toBeLessThan(6000);
    const aborted = new AbortController();
    aborted.abort();
    await expect(client().status({ signal: aborted.signal })).rejects.toBeInstanceOf(VersCancelledError);
  });
});

describe('exit codes and setup problems', () => {
  it('unknown commit (3), taken tag (4): typed errors with what failed', async () => {
    const unknown = '11111111-1111-4111-8111-111111111111';
    const err = await client()
      .runCommit(unknown)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VersNotFoundError);
    expect((err as Error).message).toContain(`commit '${unknown}' not found`);
    expect((err as Error).message).toContain('vers run-commit');
    await client().tagCreate('taken', commit);
    expect(
      await client()
        .tagCreate('taken', commit)
        .catch((e: unknown) => e),
    ).toBeInstanceOf(ConflictError);
    await client().tagDelete('taken');
    expect(world.vmIds()).toEqual([vm]);
  });

  it('a refused API key (exit 2) says to log in, and never shows the key', async () => {
    const err = await client({ FAKE_VERS_FAIL: 'auth' })
      .status()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VersAuthError);
    expect(describeError(err)).toMatch(/VERS_API_KEY|vers login/);
    // The key in an argument echoed back by vers is still redacted.
    const leaked = await client()
      .tagGet(API_KEY)
      .catch((e: unknown) => e);
    expect(leaked).toBeInstanceOf(VersNotFoundError);
    expect(describeError(leaked)).not.toContain(API_KEY);
    expect((leaked as VersNotFoundError).stderr).not.toContain(API_KEY);
    expect(describeError(leaked)).toContain('***');
    const echoed = await client().exec(vm, `echo ${API_KEY}`, { timeoutMs: 5000 });
    expect(echoed.stdout).toBe('***\n');
  });

  it('no API key at all is an auth error', async () => {
    const err = await client({ VERS_API_KEY: '', HOME: world.root })
      .status()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VersAuthError);
    expect((err as Error).message).toContain('no API key');
  });

  it('vers missing: a clear error with the install hint', async () => {
    const err = await client({ VERS_BIN: join(world.root, 'no-such-vers') })
      .status()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VersNotInstalledError);
    expect(describeError(err)).toContain('github.com/hdresearch/vers-cli/releases');
  });

  it('vers older than v0.9.0 is refused; v0.9.0, newer and nightly builds are accepted', async () => {
    const old = await client({ FAKE_VERS_VERSION: 'v0.8.4' })
      .status()
      .catch((e: unknown) => e);
    expect(old).toBeInstanceOf(VersTooOldError);
    expect((old as Error).message).toContain('v0.8.4 is too old');
    for (const v of ['v0.9.0', 'v0.11.2', 'nightly-1a2b3c']) {
      expect((await client({ FAKE_VERS_VERSION: v }).ensureSupported()).raw).toContain(v);
    }
  });
});

describe('tunnel', () => {
  it('forwards a local port to the VM PostgreSQL until closed', async () => {
    const port = await freePort();
    const t = await client().tunnel(vm, port, 5432);
    const config = {
      host: '127.0.0.1',
      port: t.port,
      user: 'postgres',
      password: INITIAL_PASSWORD_FOR_TESTS,
      database: 'postgres',
    };
    const rows = await withClient(config, async (c) => (await c.query('SELECT 7 AS n')).rows);
    expect(rows).toEqual([{ n: 7 }]);
    await t.close();
    expect(await t.closed).toBeNull();
    await expect(
      withClient({ ...config, connectionTimeoutMillis: 2000 }, (c) => c.query('SELECT 1')),
    ).rejects.toThrow(/refused/);
  });

  it('a tunnel that drops reports why, and its connections fail instead of hanging', async () => {
    const port = await freePort();
    const t = await client({ FAKE_VERS_FAIL: 'tunnel-drop:800' }).tunnel(vm, port, 5432);
    const config = {
      host: '127.0.0.1',
      port: t.port,
      user: 'postgres',
      password: INITIAL_PASSWORD_FOR_TESTS,
      database: 'postgres',
    };
    const failure = withClient(config, (c) => c.query('SELECT pg_sleep(5)')).catch((e: unknown) => e);
    const why = await t.closed;
    expect(why?.message).toContain('tunnel: connection lost');
    expect(await failure).toBeInstanceOf(Error);
  });

  it('a tunnel to an unknown VM fails with not found', async () => {
    const port = await freePort();
    await expect(client().tunnel('22222222-2222-4222-8222-222222222222', port, 5432)).rejects.toBeInstanceOf(
      VersNotFoundError,
    );
  });
});

describe('the fake rejects what vers v0.10.0 rejects', () => {
  it('commit --tag, commit <vm>, run-commit <tag>, a whole command as one string, flags after the VM', async () => {
    const tag = await fakeVers(world, ['commit', '--tag', 'x']);
    expect([tag.exitCode, tag.stderr]).toEqual([1, expect.stringContaining('unknown flag: --tag')]);
    const positional = await fakeVers(world, ['commit', vm]);
    expect(positional.stderr).toContain('unknown command');
    // vers picks exit codes by searching the error text, so a VM id containing "404" or "400" turns
    // this usage error into exit 3 or 5 (reference §3.0); an id without them gives the plain 1.
    const misread = /40[01349]/.test(vm);
    if (!misread) expect(positional.exitCode).toBe(1);
    else expect(positional.exitCode).toBeGreaterThan(1);
    await fakeVers(world, ['tag', 'create', 'fidelity', commit]);
    const byTag = await fakeVers(world, ['run-commit', 'fidelity', '--format', 'json']);
    expect(byTag.exitCode).toBe(3);
    const oneString = await fakeVers(world, ['exec', vm, "psql -c 'select 1'"]);
    expect(oneString.exitCode).toBe(127);
    const flagsAfter = await fakeVers(world, ['exec', vm, '-t', '5', 'true']);
    expect(flagsAfter.exitCode).toBe(127);
    const dashAfter = await fakeVers(world, ['exec', vm, '--', 'true']);
    expect(dashAfter.exitCode).toBe(127);
    const argvStyle = await fakeVers(world, ['exec', '-t', '5', '--', vm, 'bash', '-c', 'exit 5']);
    expect(argvStyle.exitCode).toBe(5);
    const noYes = await fakeVers(world, ['delete', vm]);
    expect(noYes.exitCode).toBe(7);
    expect(world.vmIds()).toEqual([vm]);
  });

  it('run prints the vers.toml warning before its JSON and writes ./.vers/HEAD', async () => {
    const r = await fakeVers(world, ['run', '--wait', '--format', 'json']);
    expect(r.stdout.split('\n')[0]).toBe('Warning: vers.toml not found, using default configuration');
    const id = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))).vm_id as string;
    expect((await readFile(join(world.root, '.vers', 'HEAD'), 'utf8')).trim()).toBe(id);
    await client().delete([id]);
    expect(world.vmIds()).toEqual([vm]);
  });
});
