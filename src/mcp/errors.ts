/**
 * The one place where a thrown error becomes an MCP tool result. Typed errors carry a message
 * written for the user (and a hint); anything else is a bug: its stack goes to stderr and the
 * model gets the message without internals.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { CancelledError, describeError, isVersDbError } from '../errors.js';

export function errorResult(tool: string, err: unknown, log: (message: string) => void): CallToolResult {
  let text: string;
  if (err instanceof CancelledError) {
    text = `${tool} was cancelled: ${describeError(err)}`;
  } else if (isVersDbError(err)) {
    text = `${tool} failed: ${describeError(err)}`;
  } else {
    log(`${tool}: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    text = `${tool} failed unexpectedly: ${describeError(err)}\n(details are in the vers-db server log)`;
  }
  return { isError: true, content: [{ type: 'text', text }] };
}
