/**
 * A server behind a fresh tunnel (or in a just-booted VM) may need a moment: log in every 250 ms
 * until it works, the time is up, or the server refuses in a way waiting will not cure (wrong
 * password, unknown database). Each engine brings its one login attempt and its refusals.
 */
import { throwIfAborted } from '../errors.js';

const RETRY_MS = 250;

export async function waitForLogin(
  attempt: () => Promise<void>,
  refused: (err: unknown) => boolean,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    throwIfAborted(signal);
    try {
      await attempt();
      return;
    } catch (err) {
      if (refused(err) || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  }
}
