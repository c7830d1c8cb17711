/**
 * A shell step's process group, supervised: recorded in the state directory while it runs (so the
 * next command can stop it if this process dies), stopped as a whole on timeout and on cancel
 * (SIGTERM, then SIGKILL after a grace period), and forgotten when it ends.
 */
import { recordChild } from '../state/children.js';

const KILL_GRACE_MS = 2000;

export interface Supervision {
  /** Call when the process has exited: clears timers and the record. */
  done: () => Promise<void>;
  timedOut: () => boolean;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

export async function superviseGroup(
  pgid: number | undefined,
  stateDir: string,
  options: { timeoutMs?: number; signal?: AbortSignal },
  what = 'command',
): Promise<Supervision> {
  if (pgid === undefined) return { done: async () => {}, timedOut: () => false };
  const forget = await recordChild(stateDir, pgid, what).catch(() => async () => {});
  let timedOut = false;
  let killer: NodeJS.Timeout | undefined;
  const stop = () => {
    signalGroup(pgid, 'SIGTERM');
    killer ??= setTimeout(() => signalGroup(pgid, 'SIGKILL'), KILL_GRACE_MS);
  };
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          stop();
        }, options.timeoutMs);
  options.signal?.addEventListener('abort', stop, { once: true });
  if (options.signal?.aborted) stop();
  return {
    timedOut: () => timedOut,
    done: async () => {
      clearTimeout(timer);
      clearTimeout(killer);
      options.signal?.removeEventListener('abort', stop);
      // Whatever the step left running in its group goes with it.
      signalGroup(pgid, 'SIGKILL');
      await forget();
    },
  };
}
