/**
 * A loop that runs one async step every `intervalMs` (measured from the previous step's start),
 * until stopped; a failing step ends it and the failure is returned by stop(). Samplers use it.
 */
export class PeriodicLoop {
  private loop: Promise<void> | null = null;
  private stopping = false;
  private timer: NodeJS.Timeout | null = null;
  private wake: (() => void) | null = null;
  private failure: unknown = null;

  constructor(
    private readonly step: () => Promise<void>,
    private readonly intervalMs: number,
    private readonly now: () => number,
  ) {}

  /** Start stepping in the background; the first step comes one interval after `lastStart`. */
  start(lastStart: number = this.now()): void {
    this.loop = this.run(lastStart);
  }

  /** Stop after the step in progress; resolves with the step's error if one failed. */
  async stop(): Promise<unknown> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
    await this.loop;
    return this.failure;
  }

  private async run(lastStart: number): Promise<void> {
    let started = lastStart;
    try {
      while (!this.stopping) {
        const delay = started + this.intervalMs - this.now();
        if (delay > 0) {
          await new Promise<void>((resolve) => {
            this.wake = resolve;
            this.timer = setTimeout(resolve, delay);
          });
          this.wake = null;
          this.timer = null;
        }
        if (this.stopping) break;
        started = this.now();
        await this.step();
      }
    } catch (err) {
      this.failure = err;
    }
  }
}
