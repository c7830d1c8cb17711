/**
 * The server factory: no side effects at import, nothing opened until a tool runs, so tests build
 * servers in-process. `close()` stops running calls (they remove their branches), then the context.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Context } from '../core/index.js';
import { VERSION } from '../version.js';
import { INSTRUCTIONS } from './instructions.js';
import { type CallTracker, registerTools } from './register.js';

/** The server's version is vers-db's (src/version.ts). */
export const SERVER_VERSION = VERSION;
export const SERVER_NAME = 'vers-db';

/** How long shutdown waits for cancelled calls to clean up their branches. */
const SHUTDOWN_GRACE_MS = 15_000;

export interface VersDbServer {
  server: McpServer;
  close(): Promise<void>;
}

export function createServer(ctx: Context): VersDbServer {
  const server = new McpServer(
    { name: SERVER_NAME, version: SERVER_VERSION },
    { instructions: INSTRUCTIONS },
  );
  const shutdown = new AbortController();
  const tracker: CallTracker = { shutdown: shutdown.signal, running: new Set() };
  registerTools(server, ctx, tracker);
  let closing: Promise<void> | undefined;
  return {
    server,
    close() {
      closing ??= (async () => {
        shutdown.abort();
        if (tracker.running.size > 0) {
          ctx.log(`waiting for ${tracker.running.size} running call(s) to clean up`);
          const grace = new Promise((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS).unref());
          await Promise.race([Promise.allSettled([...tracker.running]), grace]);
        }
        await server.close().catch(() => undefined);
        await ctx.close();
      })();
      return closing;
    },
  };
}
