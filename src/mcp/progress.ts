/**
 * Core progress → MCP `notifications/progress`, sent only when the request carried a progress
 * token, with a strictly increasing `progress` whatever the core reports.
 *
 * A progress notification must never reach the client after the response: the SDK client handles
 * notifications a microtask later than responses, so one that shares a pipe read with the
 * response refers to a token already retired, and Claude Code then treats the stdio transport
 * as broken and closes it (modelcontextprotocol/typescript-sdk#2580, anthropics/claude-code#47765).
 * So: at most one notification per interval (the latest update is sent when it ends), none for the
 * terminal step (the response says it), and `flush()` before answering drops what is held back and
 * waits until the last notification has been written and had time to be read.
 */
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Progress, ProgressFn } from '../core/index.js';

type Extra = Pick<
  RequestHandlerExtra<ServerRequest, ServerNotification>,
  '_meta' | 'signal' | 'sendNotification'
>;

export interface ProgressSender {
  onProgress: ProgressFn;
  /** Resolves once every notification sent has been written and `quietMs` have passed since the last. */
  flush(): Promise<void>;
}

export interface ProgressOptions {
  /** Minimum time between two notifications; of the updates in between only the latest is sent. */
  intervalMs?: number;
  /** Time between the last notification and the response. */
  quietMs?: number;
}

type ProgressParams = { progress: number; total?: number; message: string };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function progressSender(
  extra: Extra,
  log: (message: string) => void,
  { intervalMs = 100, quietMs = 100 }: ProgressOptions = {},
): ProgressSender {
  const token = extra._meta?.progressToken;
  if (token === undefined) return { onProgress: () => {}, flush: async () => {} };
  // Starts below 0 so a core that counts from 0 keeps its numbers (and its total stays meaningful).
  let counter = -1;
  let lastSentAt = Number.NEGATIVE_INFINITY;
  let queue: Promise<void> = Promise.resolve();
  /** The latest update held back by the interval, sent when it ends unless the call ends first. */
  let pending: ProgressParams | null = null;
  let timer: NodeJS.Timeout | undefined;

  const send = (params: ProgressParams) => {
    lastSentAt = performance.now();
    queue = queue
      .then(() =>
        extra.sendNotification({
          method: 'notifications/progress',
          params: { progressToken: token, ...params },
        }),
      )
      .catch((err: unknown) => log(`progress notification not sent: ${(err as Error).message}`));
  };

  const onProgress = (p: Progress) => {
    counter = p.progress !== undefined && p.progress > counter ? p.progress : counter + 1;
    const total = p.total !== undefined && p.total >= counter ? p.total : undefined;
    if (extra.signal.aborted || (total !== undefined && counter >= total)) return;
    const params = { progress: counter, ...(total === undefined ? {} : { total }), message: p.message };
    const wait = lastSentAt + intervalMs - performance.now();
    if (wait <= 0 && !timer) return send(params);
    pending = params;
    timer ??= setTimeout(
      () => {
        timer = undefined;
        if (pending && !extra.signal.aborted) send(pending);
        pending = null;
      },
      Math.max(0, wait),
    );
  };

  const flush = async () => {
    // The response supersedes an update still held back.
    clearTimeout(timer);
    timer = undefined;
    pending = null;
    await queue;
    const since = performance.now() - lastSentAt;
    if (since < quietMs) await sleep(quietMs - since);
  };
  return { onProgress, flush };
}
