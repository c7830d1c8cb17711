/**
 * Issue 10, part 5: the Vers VM's postgres password sat in `vers exec` argv for 30 minutes
 * (visible in `ps`). Scripts now travel on stdin (`vers exec -i`), and the fake vers forwards
 * stdin exactly as the real v0.10.0 CLI does: only with -i, all of it, to the remote command.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgEnvScript, VERS_SETTINGS } from '../../src/backends/vers.js';
import { provisionVersBase } from '../../src/backends/vers-provision.js';
import { createCheckpoint, testStrategies } from '../../src/core/index.js';
import { VersClient } from '../../src/vers/index.js';
import { FAKE_VERS_BIN } from '../fixtures/fake-vers/control.mjs';
import { type FakeVersWorld, fakeVersWorld } from './fake-env.js';

let world: FakeVersWorld;
let vm: string;

beforeAll(async () => {
  world = await fakeVersWorld();
  vm = (await new VersClient({ env: world.env, cwd: world.root }).run()).vmId;
});
afterAll(async () => {
  await world?.teardown();
});

/** Every process's command line on this machine (what `ps` shows). */
async function allCommandLines(): Promise<string[]> {
  const out: string[] = [];
  for (const pid of (await readdir('/proc')).filter((d) => /^\d+$/.test(d))) {
    const cmdline = await readFile(join('/proc', pid, 'cmdline'), 'utf8').catch(() => '');
    if (cmdline) out.push(cmdline.replaceAll('\0', ' '));
  }
  return out;
}

describe('the fake vers forwards stdin like vers v0.10.0', () => {
  const run = (args: string[]) =>
    execa(FAKE_VERS_BIN, args, {
      env: world.env,
      cwd: world.root,
      reject: false,
      extendEnv: false,
      input: 'data',
    });

  it('without -i the remote command gets no stdin; with -i it gets all of it', async () => {
    const without = await run(['exec', '-t', '5', '--', vm, 'bash', '-c', 'cat; echo "[end]"']);
    expect(without.stdout).toBe('[end]');
    const withI = await run(['exec', '-i', '-t', '5', '--', vm, 'bash', '-c', 'cat; echo "[end]"']);
    expect(withI.stdout).toBe('data[end]');
  });
});

describe('vers exec carries scripts on stdin, never in argv', () => {
  it('the password in a script is in no process argument while it runs, here or in the VM', async () => {
    const password = `pw${Date.now().toString(16)}deadbeefcafe`;
    const log = join(world.root, 'argv-secret.log');
    const client = new VersClient({ env: { ...world.env, FAKE_VERS_LOG: log }, cwd: world.root });
    const script = `${pgEnvScript('postgres', password)}\nsleep 1.5; echo 7`;
    const running = client.exec(vm, script, { timeoutMs: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 900));
    const seen = await allCommandLines();
    const r = await running;
    expect(r).toMatchObject({ exitCode: 0, stdout: '7\n' });
    expect(seen.filter((c) => c.includes(password))).toEqual([]);
    expect(seen.some((c) => c.includes(`exec -t 20 -i -- ${vm}`))).toBe(true); // scanned while it ran
    const argv = await readFile(log, 'utf8');
    expect(argv).toContain('"-i"');
    expect(argv).not.toContain(password);
  });

  it('a script and an upload share stdin: the script first, then the file, byte for byte', async () => {
    const client = new VersClient({ env: world.env, cwd: world.root });
    const bytes = Buffer.from([0, 1, 2, 255, 10, 0, 39, 34, 92]);
    const r = await client.exec(vm, 'cat > "$HOME/blob" && od -An -tu1 "$HOME/blob" | tr -s " "', {
      timeoutMs: 10_000,
      stdin: bytes,
    });
    expect(r.stdout.trim()).toBe([...bytes].join(' '));
  });
});

describe('the vers backend end to end', () => {
  it('the VM password reaches no vers argv, no result and no log', async () => {
    const log = join(world.root, 'argv-backend.log');
    const ctx = world.context({ FAKE_VERS_LOG: log });
    await provisionVersBase(ctx, { template: 'postgres@18', databases: ['app'] });
    const password = (await ctx.registry.read()).settings[VERS_SETTINGS.password]!;
    expect(password).toMatch(/^[0-9a-f]{32}$/);
    await createCheckpoint(ctx, { tag: 'pw', includeStats: false });
    const c = await testStrategies(ctx, {
      baseline: 'pw',
      migrations: [{ migration: 'CREATE TABLE t (id int)' }],
      validation: 'echo "url=$DATABASE_URL pw=$PGPASSWORD"; exit 1',
      collectMetrics: false,
    });
    expect(c.results[0]!.validation?.output).toMatch(/url=postgres:\/\/postgres:\*\*\*@\S+ pw=\*\*\*/);
    expect(JSON.stringify(c)).not.toContain(password);
    expect(world.logs.join('\n')).not.toContain(password);
    const argv = await readFile(log, 'utf8');
    expect(argv).toMatch(/"exec"/);
    expect(argv).not.toContain(password);
  });
});
