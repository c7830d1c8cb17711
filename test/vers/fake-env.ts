/**
 * A throwaway world for vers tests: a state directory, a fake vers home (its VMs are real
 * PostgreSQL clusters), and contexts that point vers-db at the fake. teardown() stops every
 * cluster and removes it all.
 */

import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { type Context, createContext } from '../../src/core/context.js';
import { destroyAll, FAKE_VERS_BIN, listVms } from '../fixtures/fake-vers/control.mjs';

export const API_KEY = 'vk-test-0123456789abcdef';

export interface FakeVersWorld {
  root: string;
  /** FAKE_VERS_HOME */
  home: string;
  env: NodeJS.ProcessEnv;
  ctx: Context;
  logs: string[];
  /** Another context on the same state and fake, with extra env (fault injection). */
  context(extra?: NodeJS.ProcessEnv): Context;
  vmIds(): string[];
  teardown(): Promise<void>;
}

export async function fakeVersWorld(): Promise<FakeVersWorld> {
  // Under /tmp with 0755: the postgres OS user must reach the fake's data directories.
  const root = await mkdtemp(join(tmpdir(), 'vers-db-fake-'));
  await chmod(root, 0o755);
  const home = join(root, 'fake');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    VERS_DB_HOME: join(root, 'state'),
    VERS_BIN: FAKE_VERS_BIN,
    FAKE_VERS_HOME: home,
    VERS_API_KEY: API_KEY,
  };
  for (const k of [
    'FAKE_VERS_FAIL',
    'FAKE_VERS_DELAY',
    'FAKE_VERS_NOISE',
    'FAKE_VERS_VERSION',
    'DATABASE_URL',
  ])
    delete env[k];
  const logs: string[] = [];
  const contexts: Context[] = [];
  const context = (extra: NodeJS.ProcessEnv = {}) => {
    const c = createContext({
      env: { ...env, ...extra },
      cwd: root,
      backend: 'vers',
      log: (m) => logs.push(m),
    });
    contexts.push(c);
    return c;
  };
  const ctx = context();
  return {
    root,
    home,
    env,
    ctx,
    logs,
    context,
    vmIds: () =>
      listVms(home)
        .map((v) => v.vm_id)
        .sort(),
    async teardown() {
      for (const c of contexts) await c.close().catch(() => undefined);
      destroyAll(home);
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** A pid that certainly belonged to a process that has exited (a crashed vers-db). */
export async function deadPid(): Promise<number> {
  const child = execa('true');
  await child;
  return child.pid!;
}

/** Run the fake directly (fidelity tests and simulated leftovers). */
export function fakeVers(world: FakeVersWorld, args: string[], extra: NodeJS.ProcessEnv = {}) {
  return execa(FAKE_VERS_BIN, args, {
    env: { ...world.env, ...extra },
    cwd: world.root,
    reject: false,
    extendEnv: false,
    input: '',
  });
}
