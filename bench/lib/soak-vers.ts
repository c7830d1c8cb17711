/**
 * The soak's vers failure: a Vers project on the fake vers (test/fixtures/fake-vers, which takes
 * the real CLI's argv and exit codes; its VMs are real PostgreSQL clusters), and a test whose vers
 * fails mid-run — the VM dies, the tunnel drops, `vers exec`, `vers branch` or `vers delete` fails.
 * Afterwards: no VM, registry entry or process group of the tool's left once the next command has
 * started, and the checkpoint's commit byte for byte unchanged.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { VERS_SETTINGS } from '../../src/backends/vers.js';
import { provisionVersBase } from '../../src/backends/vers-provision.js';
import { createContext } from '../../src/core/context.js';
import { createCheckpoint } from '../../src/core/index.js';
import { withClient } from '../../src/util/pg.js';
import { destroyAll, FAKE_VERS_BIN, killVm, listVms } from '../../test/fixtures/fake-vers/control.mjs';
import { countResults, type Registry, readRegistry, strayChildren, strayEntries } from './soak-checks.js';
import { note, type Tally } from './soak-tally.js';

export const VERS_FAULTS = [
  'VM dies',
  'tunnel drops',
  'vers exec fails',
  'vers branch fails',
  'vers delete fails',
];

export interface VersWorld {
  project: string;
  home: string;
  fakeHome: string;
  env: Record<string, string>;
  cli: (args: string[], extra?: Record<string, string>) => ReturnType<typeof execa>;
  commit: string;
}

const FAKE_HOME = 'fake-vers';

export async function setupVersWorld(root: string, cliPath: string): Promise<VersWorld> {
  const project = join(root, 'vers-project');
  await mkdir(project, { recursive: true, mode: 0o755 });
  const home = join(project, '.vers-db');
  const fakeHome = join(root, FAKE_HOME);
  const env: Record<string, string> = {
    VERS_DB_HOME: home,
    VERS_DB_BACKEND: 'vers',
    VERS_BIN: FAKE_VERS_BIN,
    FAKE_VERS_HOME: fakeHome,
    VERS_API_KEY: 'vk-soak-0123456789abcdef',
    NO_COLOR: '1',
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/root',
  };
  const ctx = createContext({ env, cwd: project, backend: 'vers', log: () => {} });
  try {
    await provisionVersBase(ctx, { template: 'postgres@18', databases: ['app'] });
    const backend = await ctx.backend();
    const src = await backend.connectSource();
    await withClient(src.config, (c) =>
      c.query(`CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL, n int DEFAULT 0);
               INSERT INTO users SELECT g, 'u' || g || '@example.com' FROM generate_series(1, 2000) g;
               CREATE TABLE orders (id int PRIMARY KEY, user_id int REFERENCES users, total numeric);
               INSERT INTO orders SELECT g, 1 + g % 2000, g * 1.5 FROM generate_series(1, 2000) g;`),
    );
    await src.close();
    await createCheckpoint(ctx, { tag: 'base' });
  } finally {
    await ctx.close();
  }
  const commit = (await readRegistry(home)).checkpoints.base!.id;
  const cli = (args: string[], extra: Record<string, string> = {}) =>
    execa(process.execPath, [cliPath, ...args], {
      cwd: project,
      env: { ...env, ...extra },
      extendEnv: false,
      reject: false,
      timeout: 120_000,
    });
  return { project, home, fakeHome, env, cli, commit };
}

/** Stop every fake VM's PostgreSQL and remove the fake's home. */
export function teardownVers(root: string): void {
  destroyAll(join(root, FAKE_HOME));
}

/** A digest of every file of the checkpoint's commit (its whole filesystem): must never change. */
export async function commitDigest(w: VersWorld): Promise<string> {
  const root = join(w.fakeHome, 'commits', w.commit); // the fake's commit: a copy of the VM's filesystem
  const hash = createHash('sha256');
  const walk = async (dir: string, rel: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    );
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.isDirectory()) await walk(path, `${rel}/${e.name}`);
      else if (e.isFile()) hash.update(`${rel}/${e.name}\0`).update(await readFile(path));
    }
  };
  await walk(root, '');
  return hash.digest('hex');
}

export interface VersFaultContext {
  tally: Tally;
  kind: string;
  label: string;
}

/** One vers failure of sort `n % VERS_FAULTS.length`, `delay` ms into a test of two strategies. */
export async function versFailure(
  w: VersWorld,
  n: number,
  delay: number,
  c: VersFaultContext,
): Promise<string> {
  const sort = VERS_FAULTS[n % VERS_FAULTS.length]!;
  const args = ['test', 'base', 'slow.sql', 'quick.sql', '--json'];
  const vmsBefore = new Set(listVms(w.fakeHome).map((v) => v.vm_id));
  let extra: Record<string, string> = {};
  if (sort === 'tunnel drops') extra = { FAKE_VERS_FAIL: `tunnel-drop:${300 + delay}` };
  if (sort === 'vers exec fails') {
    extra = { FAKE_VERS_FAIL: 'exec:1' };
    args.push('--validate', 'true');
  }
  if (sort === 'vers branch fails') extra = { FAKE_VERS_FAIL: 'branch:6' };
  if (sort === 'vers delete fails') extra = { FAKE_VERS_FAIL: 'delete:1' };
  const run = w.cli(args, extra);
  if (sort === 'VM dies') {
    // Wait for a branch VM of this test, then let it die `delay` ms later.
    const until = Date.now() + 30_000;
    let victim: string | undefined;
    while (!victim && Date.now() < until) {
      victim = listVms(w.fakeHome).find((v) => !vmsBefore.has(v.vm_id))?.vm_id;
      if (!victim) await sleep(50);
    }
    await sleep(delay);
    if (victim) await killVm(w.fakeHome, victim);
  }
  const r = await run;
  if (process.env.SOAK_DEBUG) {
    const statuses = /^\{/.test(String(r.stdout))
      ? (JSON.parse(String(r.stdout)) as { results: { status: string; error: string | null }[] }).results.map(
          (x) => `${x.status}${x.error ? ` (${x.error.slice(0, 120)})` : ''}`,
        )
      : [];
    process.stderr.write(
      `${c.label} (${sort}): exit ${r.exitCode} ${statuses.join(', ')} ${String(r.stderr)
        .split('\n')
        .filter((l) => /^(error|could not)/.test(l))
        .join(' / ')}\n`,
    );
  }
  // `vers branch` failing leaves no strategy to run: then a clear error (exit 3) is the answer.
  if (sort === 'vers branch fails' && r.exitCode === 3 && /vers branch/.test(String(r.stderr))) return sort;
  countResults(c.tally, c.kind, `${c.label} (${sort})`, r, 2);
  return sort;
}

/** VMs, registry entries and process groups of the tool's that no one keeps. */
export async function versLeaks(w: VersWorld): Promise<string[]> {
  const reg: Registry = await readRegistry(w.home);
  const out = strayEntries(reg);
  const expected = new Set<string>([
    reg.settings[VERS_SETTINGS.baseVm] ?? '',
    ...Object.entries(reg.settings)
      .filter(([k]) => k.startsWith(VERS_SETTINGS.workingPrefix))
      .map(([, v]) => v),
    ...Object.values(reg.branches)
      .filter((b) => b.keep)
      .map((b) => b.id ?? ''),
  ]);
  for (const vm of listVms(w.fakeHome))
    if (!expected.has(vm.vm_id)) out.push(`Vers VM ${vm.vm_id} (${vm.state})`);
  out.push(...(await strayChildren(w.home)));
  return out;
}

export function noteVersLeaks(t: Tally, kind: string, label: string, leaks: string[]): void {
  for (const l of leaks) note(t, kind, 'leaks', `${label}: ${l}`);
}
