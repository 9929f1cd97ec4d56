// Past this many failures in a row the delay is at its cap anyway; counting on would only overflow.
const MAX_FAILURES_COUNTED = 10;

export interface PollingLoopOptions {
  // Between a tick that succeeded and the next.
  intervalMs: number;
  // The longest wait after failed ticks: the interval doubles with each failure in a row up to this.
  maxDelayMs: number;
  // One tick's work; a throw is a failed tick.
  tick: () => Promise<unknown>;
  // Told of a failed tick's error before the next is scheduled: each loop logs it in its own words
  // and marks what the failure left in doubt (claims it may hold without knowing) for its next tick.
  onFailure: (error: unknown) => void;
}

// The poll-and-back-off loop of the delivery loops (live updates, webhooks and their fan-out,
// email), each of which keeps its own claims and records and composes one of these:
// - one tick at a time: the next is scheduled when the current one has ended, so ticks never
//   overlap and a slow tick delays the next rather than piling up;
// - after a failed tick (the database away) the wait doubles up to maxDelayMs, so an outage is not
//   polled at full rate; the first tick that succeeds brings the interval back;
// - its timers are unref'd: a loop never keeps the process alive on its own;
// - stop() stops polling and waits for the tick in flight, so the owner can record that tick's
//   outcomes before the pool closes; ticks read `stopping` to end early.
export class PollingLoop {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private failures = 0;

  constructor(private readonly options: PollingLoopOptions) {}

  // True once stop() has been called (until the loop is started again).
  get stopping(): boolean {
    return this.stopped;
  }

  // The first tick after delayMs. Started again after stop() (the tests restart a dispatcher), it
  // polls again; started while a tick is running, the next tick follows that one (never two chains).
  start(delayMs = 0): void {
    this.stopped = false;
    clearTimeout(this.timer);
    if (!this.running) this.schedule(delayMs);
  }

  // No tick is scheduled after this; resolves when the tick in flight (if any) has ended.
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runTick().finally(() => {
        this.running = undefined;
        this.schedule(this.nextDelayMs());
      });
    }, delayMs);
    this.timer.unref();
  }

  private nextDelayMs(): number {
    const { intervalMs, maxDelayMs } = this.options;
    return this.failures === 0 ? intervalMs : Math.min(maxDelayMs, intervalMs * 2 ** this.failures);
  }

  private async runTick(): Promise<void> {
    try {
      await this.options.tick();
      this.failures = 0;
    } catch (error) {
      this.failures = Math.min(this.failures + 1, MAX_FAILURES_COUNTED);
      this.options.onFailure(error);
    }
  }
}
