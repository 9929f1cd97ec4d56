import { PollingLoop } from './polling-loop';

// A tick the test ends by hand.
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void } {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe(PollingLoop.name, () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  it('should run one tick at a time, the next an interval after the current one ends', async () => {
    const ticks: ReturnType<typeof deferred>[] = [];
    const tick = (): Promise<void> => {
      ticks.push(deferred());
      return ticks[ticks.length - 1].promise;
    };
    const loop = new PollingLoop({ intervalMs: 100, maxDelayMs: 1_000, tick, onFailure: jest.fn() });
    loop.start(50);
    await jest.advanceTimersByTimeAsync(49);
    expect(ticks).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(ticks).toHaveLength(1);
    // A slow tick: no other starts however long it takes.
    await jest.advanceTimersByTimeAsync(5_000);
    expect(ticks).toHaveLength(1);
    ticks[0].resolve();
    await jest.advanceTimersByTimeAsync(99);
    expect(ticks).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(ticks).toHaveLength(2);
    ticks[1].resolve();
    await loop.stop();
  });

  it('should double the wait after each failed tick up to its cap, tell the hook of each failure, and go back to the interval after a success', async () => {
    const startedAt: number[] = [];
    let failing = true;
    const onFailure = jest.fn();
    const loop = new PollingLoop({
      intervalMs: 100,
      maxDelayMs: 1_000,
      tick: async () => {
        startedAt.push(Date.now());
        if (failing) throw new Error(`down ${startedAt.length}`);
      },
      onFailure,
    });
    loop.start(0);
    await jest.advanceTimersByTimeAsync(0 + 200 + 400 + 800 + 1_000 + 1_000);
    expect(startedAt).toEqual([0, 200, 600, 1_400, 2_400, 3_400]);
    expect(onFailure.mock.calls.map(([error]) => (error as Error).message)).toEqual(['down 1', 'down 2', 'down 3', 'down 4', 'down 5', 'down 6']);
    // Many failures later the wait is still the cap.
    await jest.advanceTimersByTimeAsync(20 * 1_000);
    expect(startedAt.at(-1)! - startedAt.at(-2)!).toBe(1_000);

    failing = false;
    const before = startedAt.length;
    const lastAt = startedAt.at(-1)!;
    await jest.advanceTimersByTimeAsync(1_000 + 100 + 100);
    expect(startedAt.slice(before)).toEqual([lastAt + 1_000, lastAt + 1_100, lastAt + 1_200]);
    // A failure after a success starts the doubling again from the interval.
    failing = true;
    await jest.advanceTimersByTimeAsync(100 + 200);
    expect(startedAt.slice(before + 3)).toEqual([lastAt + 1_300, lastAt + 1_500]);
    await loop.stop();
  });

  it('should wait in stop() for the tick in flight, which sees stopping, and schedule nothing after it', async () => {
    const tick = deferred();
    let seenStopping: boolean | undefined;
    const run = jest.fn(async () => {
      await tick.promise;
      seenStopping = loop.stopping;
    });
    const loop = new PollingLoop({ intervalMs: 100, maxDelayMs: 1_000, tick: run, onFailure: jest.fn() });
    loop.start(0);
    await jest.advanceTimersByTimeAsync(0);
    expect(run).toHaveBeenCalledTimes(1);

    let stopped = false;
    const stopping = loop.stop().then(() => (stopped = true));
    await jest.advanceTimersByTimeAsync(1_000);
    expect(stopped).toBe(false);
    tick.resolve();
    await stopping;
    expect(seenStopping).toBe(true);
    expect(jest.getTimerCount()).toBe(0);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(run).toHaveBeenCalledTimes(1);
  });

  it('should wait in stop() for a tick in flight that fails, and schedule nothing after it', async () => {
    const tick = deferred();
    const onFailure = jest.fn();
    const loop = new PollingLoop({ intervalMs: 100, maxDelayMs: 1_000, tick: () => tick.promise, onFailure });
    loop.start(0);
    await jest.advanceTimersByTimeAsync(0);
    const stopping = loop.stop();
    tick.reject(new Error('down'));
    await stopping;
    expect(onFailure).toHaveBeenCalledTimes(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('should cancel a tick not yet started when stopped, and poll again when started again', async () => {
    const run = jest.fn(async () => undefined);
    const loop = new PollingLoop({ intervalMs: 100, maxDelayMs: 1_000, tick: run, onFailure: jest.fn() });
    loop.start(50);
    await loop.stop();
    expect(jest.getTimerCount()).toBe(0);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(run).not.toHaveBeenCalled();

    loop.start(0);
    expect(loop.stopping).toBe(false);
    await jest.advanceTimersByTimeAsync(250);
    expect(run).toHaveBeenCalledTimes(3);
    await loop.stop();
  });

  it('should keep the process alive with none of its timers', async () => {
    const setTimeoutSpy = jest.spyOn(global, 'setTimeout');
    const loop = new PollingLoop({ intervalMs: 100, maxDelayMs: 1_000, tick: async () => undefined, onFailure: jest.fn() });
    loop.start(0);
    await jest.advanceTimersByTimeAsync(300);
    const timers = setTimeoutSpy.mock.results.map((result) => result.value as NodeJS.Timeout);
    expect(timers.length).toBeGreaterThanOrEqual(3);
    expect(timers.every((timer) => !timer.hasRef())).toBe(true);
    await loop.stop();
    setTimeoutSpy.mockRestore();
  });
});
