/**
 * Part 4 — the MCP server through stdio, as Claude Code runs it: spawn to a completed
 * `initialize` + `tools/list`, and a `db_compare_branches` round trip on two kept branches.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { createCheckpoint } from '../src/core/index.js';
import { withClient } from '../src/util/pg.js';
import { log } from './lib/log.js';
import type { PartResult, Target } from './lib/report.js';
import { fmtMs, median, timed } from './lib/timing.js';
import { benchContext, benchEnv } from './lib/vers.js';
import type { BenchContext } from './run.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** dist/server.js is what the plugin runs; without a build, the TypeScript entry through tsx. */
async function serverCommand(): Promise<{ args: string[]; label: string }> {
  const dist = join(ROOT, 'dist', 'server.js');
  const ok = await access(dist).then(
    () => true,
    () => false,
  );
  return ok
    ? { args: [dist], label: 'node dist/server.js' }
    : {
        args: ['--import', 'tsx', join(ROOT, 'src', 'server.ts')],
        label: 'node --import tsx src/server.ts (no dist/ build)',
      };
}

interface Started {
  client: Client;
  /** spawn → initialize answered. */
  initMs: number;
  /** the first tools/list round trip. */
  listMs: number;
  tools: number;
}

async function startClient(args: string[], env: NodeJS.ProcessEnv): Promise<Started> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args,
    env: env as Record<string, string>,
    cwd: ROOT,
    stderr: 'ignore',
  });
  const client = new Client({ name: 'vers-db-bench', version: '0.0.0' });
  const init = await timed(() => client.connect(transport));
  const list = await timed(async () => (await client.listTools()).tools.length);
  return { client, initMs: init.ms, listMs: list.ms, tools: list.value };
}

export async function mcpRoundTrips(b: BenchContext): Promise<PartResult> {
  const stateDir = join(b.dir, 'vers-db-state-mcp');
  const env = benchEnv(b.pg18, b.data18.database, stateDir);
  const { args, label } = await serverCommand();
  const reps = b.quick ? 3 : 5;
  const ready: number[] = [];
  const inits: number[] = [];
  const lists: number[] = [];
  let tools = 0;
  for (let i = 0; i < reps; i++) {
    const s = await startClient(args, env);
    ready.push(s.initMs + s.listMs);
    inits.push(s.initMs);
    lists.push(s.listMs);
    tools = s.tools;
    await s.client.close();
  }
  log(`MCP ready: median ${fmtMs(median(ready))} (${label})`);

  // Two kept branches of the same data, one changed, compared through the server.
  const ctx = benchContext(b.pg18, b.data18.database, stateDir);
  const compareMs: number[] = [];
  let firstMs = Number.NaN;
  let changedRows = '';
  try {
    const backend = await ctx.backend();
    // The core checkpoint (what db_checkpoint does) also records the row counts and schema compare diffs against.
    await createCheckpoint(ctx, { tag: 'p4-mcp' });
    await backend.branch('p4-mcp', ['mcp-a', 'mcp-b'], { keep: true, createdBy: 'vers-db bench' });
    const conn = await backend.connect('mcp-b');
    await withClient(conn.config, (c) => c.query('DELETE FROM orders WHERE id % 100 = 0'));
    const s = await startClient(args, env);
    try {
      for (let i = 0; i < reps + 1; i++) {
        const { ms, value } = await timed(() =>
          s.client.callTool({
            name: 'db_compare_branches',
            arguments: {
              branches: ['mcp-a', 'mcp-b'],
              comparison_query: 'SELECT count(*) AS orders FROM orders',
            },
          }),
        );
        if (value.isError) throw new Error(`db_compare_branches failed: ${JSON.stringify(value.content)}`);
        if (i === 0) {
          firstMs = ms;
          const sc = value.structuredContent as
            | { row_counts?: Record<string, Record<string, number>> }
            | undefined;
          changedRows = JSON.stringify(sc?.row_counts?.['public.orders'] ?? {});
        } else compareMs.push(ms);
      }
    } finally {
      await s.client.close();
    }
  } finally {
    const backend = await ctx.backend();
    await backend.deleteCheckpoint('p4-mcp', { force: true }).catch(() => undefined);
    await ctx.close();
  }
  log(`db_compare_branches: first ${fmtMs(firstMs)}, then median ${fmtMs(median(compareMs))}`);

  const readyMed = median(ready);
  const target: Target = {
    name: 'MCP server ready',
    target: '< 500 ms',
    measured: `${fmtMs(readyMed)} median of ${reps} (${label}, spawn → initialize + tools/list)`,
    met: readyMed < 500,
    why:
      readyMed < 500
        ? 'The server defers the backend (and any PostgreSQL start) to the first tool call.'
        : `spawn → initialize takes ${fmtMs(median(inits))} and the first tools/list ${fmtMs(median(lists))} on ${b.cores} shared cores. Building the tools' JSON schemas once at start-up (or caching them) and lazy-loading modules the first request does not need would meet it.`,
  };
  return {
    section: {
      title: '4. MCP over stdio',
      intro: [
        `The server is spawned with the SDK's StdioClientTransport (\`${label}\`), on ${b.pg18.label} through DATABASE_URL, as Claude Code would.`,
      ],
      tables: [
        {
          head: ['what', 'median', 'n', 'detail'],
          rows: [
            [
              'spawn → initialize + tools/list',
              fmtMs(readyMed),
              String(reps),
              `${tools} tools; min ${fmtMs(Math.min(...ready))}, max ${fmtMs(Math.max(...ready))}`,
            ],
            [
              '… of which spawn → initialize',
              fmtMs(median(inits)),
              String(reps),
              'Node start, loading the bundle, initialize',
            ],
            [
              '… of which the first tools/list',
              fmtMs(median(lists)),
              String(reps),
              "the tools' JSON schemas",
            ],
            [
              'db_compare_branches, first call',
              fmtMs(firstMs),
              '1',
              'includes connecting the backend to the server',
            ],
            [
              'db_compare_branches, later calls',
              fmtMs(median(compareMs)),
              String(compareMs.length),
              `two kept branches of ${b.data18.users.toLocaleString('en-US')} users, exact row counts, schema diff and one query each; orders row counts ${changedRows}`,
            ],
          ],
        },
      ],
      notes: [],
    },
    targets: [target],
  };
}
