/**
 * One monotonic clock for the runner, the sampler and the probes, so a lock seen by the sampler
 * can be attributed to the statement that was running at that instant.
 */
import { performance } from 'node:perf_hooks';

export interface Clock {
  /** Milliseconds on the shared monotonic timeline (performance.now). */
  now(): number;
  /** Where "0 ms" of the result is: the instant the first statement was sent. */
  origin: number;
  /** A time on the shared timeline as ms from the origin, rounded to 0.1 ms. */
  relative(t: number): number;
}

export function createClock(): Clock {
  const clock: Clock = {
    now: () => performance.now(),
    origin: performance.now(),
    relative: (t) => round1(t - clock.origin),
  };
  return clock;
}

export const round1 = (x: number): number => Math.round(x * 10) / 10;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
