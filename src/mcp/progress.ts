/**
 * Core progress → MCP `notifications/progress`. Sent only when the request carried a progress
 * token; `progress` must strictly increase, whatever the core reports.
 */
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Progress, ProgressFn } from '../core/index.js';

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

export function progressSender(extra: Extra, log: (message: string) => void): ProgressFn {
  const token = extra._meta?.progressToken;
  if (token === undefined) return () => {};
  let last = 0;
  return (p: Progress) => {
    if (extra.signal.aborted) return;
    last = p.progress !== undefined && p.progress > last ? p.progress : last + 1;
    const total = p.total !== undefined && p.total >= last ? p.total : undefined;
    extra
      .sendNotification({
        method: 'notifications/progress',
        params: {
          progressToken: token,
          progress: last,
          ...(total === undefined ? {} : { total }),
          message: p.message,
        },
      })
      .catch((err: unknown) => log(`progress notification not sent: ${(err as Error).message}`));
  };
}
