/** progressSender: what reaches the client, in which order, and when the response may follow. */
import { describe, expect, it } from 'vitest';
import { progressSender } from '../../src/mcp/progress.js';

type Sent = { progress: number; total?: number; message?: string; progressToken: string | number };

function fakeRequest(token?: string) {
  const sent: Sent[] = [];
  const controller = new AbortController();
  const extra = {
    _meta: token === undefined ? undefined : { progressToken: token },
    signal: controller.signal,
    sendNotification: async (n: { method: string; params?: unknown }) => {
      expect(n.method).toBe('notifications/progress');
      sent.push(n.params as Sent);
    },
  };
  return { extra, sent, controller };
}

describe('progressSender', () => {
  it('sends nothing when the request carried no progress token', async () => {
    const { extra, sent } = fakeRequest();
    const p = progressSender(extra as never, () => {});
    p.onProgress({ message: 'x', progress: 1 });
    await p.flush();
    expect(sent).toEqual([]);
  });

  it('keeps progress strictly increasing, drops totals below it and the terminal step', async () => {
    const { extra, sent } = fakeRequest('t');
    const p = progressSender(extra as never, () => {}, { intervalMs: 0, quietMs: 0 });
    p.onProgress({ message: 'one' });
    p.onProgress({ message: 'two', progress: 5, total: 10 });
    p.onProgress({ message: 'three', progress: 2 });
    p.onProgress({ message: 'four', progress: 9, total: 3 });
    p.onProgress({ message: 'done', progress: 10, total: 10 });
    await p.flush();
    expect(sent).toEqual([
      { progressToken: 't', progress: 0, message: 'one' },
      { progressToken: 't', progress: 5, total: 10, message: 'two' },
      { progressToken: 't', progress: 6, message: 'three' },
      { progressToken: 't', progress: 9, message: 'four' },
    ]);
  });

  it('sends at most one notification per interval, then the latest update held back', async () => {
    const { extra, sent } = fakeRequest('t');
    const p = progressSender(extra as never, () => {}, { intervalMs: 100, quietMs: 0 });
    for (let i = 0; i < 50; i++) p.onProgress({ message: `statement ${i}` });
    await new Promise((r) => setTimeout(r, 150));
    expect(sent.map((s) => [s.progress, s.message])).toEqual([
      [0, 'statement 0'],
      [49, 'statement 49'],
    ]);
    p.onProgress({ message: 'held back' });
    await p.flush();
    await new Promise((r) => setTimeout(r, 150));
    // flush() dropped it: nothing may follow the response.
    expect(sent).toHaveLength(2);
  });

  it('lets the response follow only after a quiet period since the last notification', async () => {
    const { extra, sent } = fakeRequest('t');
    const p = progressSender(extra as never, () => {}, { intervalMs: 0, quietMs: 80 });
    p.onProgress({ message: 'last' });
    const started = performance.now();
    await p.flush();
    expect(sent).toHaveLength(1);
    expect(performance.now() - started).toBeGreaterThanOrEqual(75);
  });

  it('stops sending once the request is cancelled', async () => {
    const { extra, sent, controller } = fakeRequest('t');
    const p = progressSender(extra as never, () => {}, { intervalMs: 0, quietMs: 0 });
    controller.abort();
    p.onProgress({ message: 'after cancel' });
    await p.flush();
    expect(sent).toEqual([]);
  });
});

it("keeps a core's own 0-based counters and totals", async () => {
  const { extra, sent } = fakeRequest('t');
  const p = progressSender(extra as never, () => {}, { intervalMs: 0, quietMs: 0 });
  p.onProgress({ message: 'reading', progress: 0, total: 2 });
  p.onProgress({ message: 'copying', progress: 1, total: 2 });
  p.onProgress({ message: 'created', progress: 2, total: 2 });
  await p.flush();
  expect(sent.map((s) => [s.progress, s.total])).toEqual([
    [0, 2],
    [1, 2],
  ]);
});
