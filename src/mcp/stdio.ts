/**
 * Run the MCP server over stdio until stdin ends or a signal arrives (dist/server.js and
 * `vers-db mcp`). Shutdown cancels running calls so they remove their branches, closes the
 * context, and stops an embedded PostgreSQL this process started. Only protocol goes to stdout.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { stopOnDemandServers } from '../backends/embedded.js';
import { createContext } from '../core/index.js';
import { recoverAfterCrashes } from '../core/recover.js';
import { describeError } from '../errors.js';
import { createServer } from './create-server.js';
import { applyPluginConfig } from './plugin-config.js';

const log = (message: string) => process.stderr.write(`[vers-db] ${message}\n`);

export async function startStdioServer(given: NodeJS.ProcessEnv = process.env): Promise<void> {
  const env = applyPluginConfig(given);
  let stopping = false;
  const exit = async (code: number) => {
    await stopOnDemandServers().catch(() => undefined);
    process.exit(code);
  };
  try {
    // Claude Code starts plugin servers with CLAUDE_PROJECT_DIR: relative migration paths are the project's.
    const ctx = createContext({ env, cwd: env.CLAUDE_PROJECT_DIR || process.cwd(), log });
    const { server, close } = createServer(ctx);
    // In the background: the client's handshake does not wait for the cleanup after a crash.
    void recoverAfterCrashes(ctx);
    const stop = async (why: string) => {
      if (stopping) return;
      stopping = true;
      log(`shutting down (${why})`);
      await close().catch((err: unknown) => log(`error while closing: ${describeError(err)}`));
      await exit(0);
    };
    process.stdin.once('end', () => void stop('stdin closed'));
    process.stdin.once('close', () => void stop('stdin closed'));
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const)
      process.once(signal, () => void stop(signal));

    await server.connect(new StdioServerTransport());
    log(`ready (state in ${ctx.stateDir}, ${ctx.backendKind} backend)`);
  } catch (err) {
    log(`cannot start: ${describeError(err)}`);
    await exit(2);
  }
}
