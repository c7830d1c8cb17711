/**
 * The MCP stdio server (dist/server.js, `vers-db mcp`). Thin: build the context, connect the
 * transport, and shut down cleanly when stdin ends or a signal arrives, stopping an embedded
 * PostgreSQL this process started. Only protocol goes to stdout; everything else to stderr.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { stopOnDemandServers } from './backends/embedded.js';
import { createContext } from './core/index.js';
import { describeError } from './errors.js';
import { createServer } from './mcp/create-server.js';

const log = (message: string) => process.stderr.write(`[vers-db] ${message}\n`);

async function main(): Promise<void> {
  // Claude Code starts plugin servers with CLAUDE_PROJECT_DIR: relative migration paths are the project's.
  const cwd = process.env.CLAUDE_PROJECT_DIR || process.cwd();
  const ctx = createContext({ cwd, log });
  const { server, close } = createServer(ctx);

  let stopping = false;
  const stop = async (why: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    log(`shutting down (${why})`);
    try {
      await close();
    } catch (err) {
      log(`error while closing: ${describeError(err)}`);
    }
    await stopOnDemandServers();
    process.exit(code);
  };

  process.stdin.once('end', () => void stop('stdin closed'));
  process.stdin.once('close', () => void stop('stdin closed'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGHUP', () => void stop('SIGHUP'));

  await server.connect(new StdioServerTransport());
  log(`ready (state in ${ctx.stateDir}, ${ctx.backendKind} backend)`);
}

main().catch(async (err: unknown) => {
  log(`cannot start: ${describeError(err)}`);
  await stopOnDemandServers();
  process.exit(2);
});
