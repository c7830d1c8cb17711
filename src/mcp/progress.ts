/**
 * Core progress → MCP `notifications/progress`. Sent only when the request carried a progress
 * token; `progress` must strictly increase, whatever the core reports. Notifications are sent in
 * order, and `flush()` lets the caller wait for them before answering: a progress notification
 * that arrives after the response refers to a token the client has already forgotten.
 */
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Progress, ProgressFn } from '../core/index.js';

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

export interface ProgressSender {
  onProgress: ProgressFn;
  /** Resolves when every notification sent so far has been written. */
  flush(): Promise<void>;
}

export function progressSender(extra: Extra, log: (message: string) => void): ProgressSender {
  const token = extra._meta?.progressToken;
  if (token === undefined) return { onProgress: () => {}, flush: async () => {} };
  let last = 0;
  let queue: Promise<void> = Promise.resolve();
  const onProgress = (p: Progress) => {
    if (extra.signal.aborted) return;
    last = p.progress !== undefined && p.progress > last ? p.progress : last + 1;
    const total = p.total !== undefined && p.total >= last ? p.total : undefined;
    const params = {
      progressToken: token,
      progress: last,
      ...(total === undefined ? {} : { total }),
      message: p.message,
    };
    queue = queue
      .then(() => extra.sendNotification({ method: 'notifications/progress', params }))
      .catch((err: unknown) => log(`progress notification not sent: ${(err as Error).message}`));
  };
  return { onProgress, flush: () => queue };
}
