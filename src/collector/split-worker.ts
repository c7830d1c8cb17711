/**
 * The splitter's worker thread: parses SQL off the main event loop, so a large migration file
 * never stalls the MCP server's protocol handling or progress. Kept alive between calls (the
 * WebAssembly parser is fastest once warm); see split-offthread.ts.
 */
import { parentPort } from 'node:worker_threads';
import { isVersDbError } from '../errors.js';
import { loadParser, splitStatements } from './split.js';

export interface SplitRequest {
  id: number;
  sql: string;
  file?: string;
}

export type SplitReply =
  | { id: number; statements: ReturnType<typeof splitStatements> }
  | { id: number; error: { message: string; hint?: string; invalidInput: boolean } };

parentPort?.on('message', async (request: SplitRequest) => {
  let reply: SplitReply;
  try {
    await loadParser();
    reply = { id: request.id, statements: splitStatements(request.sql, request.file) };
  } catch (err) {
    reply = {
      id: request.id,
      error: {
        message: err instanceof Error ? err.message : String(err),
        ...(isVersDbError(err) && err.hint ? { hint: err.hint } : {}),
        invalidInput: isVersDbError(err) && err.exitCode === 2,
      },
    };
  }
  parentPort?.postMessage(reply);
});
