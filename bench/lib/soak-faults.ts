/**
 * The soak's process and session faults on the local backend: kill -9, SIGHUP and SIGTERM of a
 * running test, kill -9 during a shell step, MCP cancellation, pg_terminate_backend of the tool's
 * own sessions, and connection exhaustion.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { execa } from 'execa';
import pg from 'pg';
import { withClient } from '../../src/util/pg.js';
import { countResults } from './soak-checks.js';
import { type FaultKind, note, type Tally } from './soak-tally.js';

export interface InjectContext {
  cli: (args: string[]) => ReturnType<typeof execa>;
  admin: pg.ClientConfig;
  env: Record<string, string>;
  project: string;
  server: string;
  tally: Tally;
  kind: FaultKind;
  label: string;
}

export async function injectProcessFault(kind: FaultKind, delay: number, c: InjectContext): Promise<void> {
  switch (kind) {
    case 'kill -9':
    case 'SIGHUP':
    case 'SIGTERM': {
      const run = c.cli(['test', 'base', 'slow.sql']);
      await sleep(delay);
      run.kill(kind === 'kill -9' ? 'SIGKILL' : kind);
      const r = await run;
      // A signal before the CLI installed its handlers ends it by the signal: nothing was made yet.
      const early = r.exitCode === undefined && r.signal === kind;
      if (kind !== 'kill -9' && !early && ![0, 1, 130].includes(r.exitCode ?? -1))
        note(c.tally, kind, 'badExits', `${c.label}: exited ${r.exitCode}: ${String(r.stderr).slice(-300)}`);
      return;
    }
    case 'kill -9 in a shell step': {
      const run = c.cli(['test', 'base', '--kind', 'command', 'sleep 20']);
      await sleep(delay + 1000);
      run.kill('SIGKILL');
      await run;
      return;
    }
    case 'MCP cancellation':
      return mcpCancellation(delay, c);
    case 'pg_terminate_backend': {
      const run = c.cli(['test', 'base', 'slow.sql', 'quick.sql', '--json']);
      await sleep(delay);
      await withClient(
        c.admin,
        (db) =>
          db.query(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE application_name LIKE 'vers-db%' AND pid <> pg_backend_pid()`,
          ),
        'soak',
      );
      countResults(c.tally, kind, c.label, await run, 2);
      return;
    }
    case 'connection exhaustion':
      return connectionExhaustion(c);
    default:
      throw new Error(`not a process fault: ${kind}`);
  }
}

async function mcpCancellation(delay: number, c: InjectContext): Promise<void> {
  const client = new Client({ name: 'soak', version: '0' });
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [c.server],
    cwd: c.project,
    env: c.env,
    stderr: 'ignore',
  });
  await client.connect(transport);
  const abort = new AbortController();
  const call = client
    .callTool(
      { name: 'db_migration_test', arguments: { baseline: 'base', migration: 'slow.sql' } },
      undefined,
      {
        signal: abort.signal,
        timeout: 120_000,
      },
    )
    .catch(() => null);
  await sleep(delay);
  abort.abort();
  await call;
  await sleep(800); // the server cancels the statement and removes the branch
  await client.close();
}

/** Leave only a handful of connections free while a test runs: it must queue or fail clearly. */
async function connectionExhaustion(c: InjectContext): Promise<void> {
  const hogs: pg.Client[] = [];
  try {
    const free = await withClient(
      c.admin,
      async (db) =>
        Number(
          (
            await db.query<{ free: number }>(
              `SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int
               - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int - 1 AS free`,
            )
          ).rows[0]!.free,
        ),
      'soak',
    );
    for (let k = 0; k < free - 6; k++) {
      const h = new pg.Client({ ...c.admin, application_name: 'soak-hog' });
      await h.connect();
      hogs.push(h);
    }
    countResults(c.tally, c.kind, c.label, await c.cli(['test', 'base', 'quick.sql', '--json']), 1);
  } finally {
    await Promise.all(hogs.map((h) => h.end().catch(() => undefined)));
  }
}
