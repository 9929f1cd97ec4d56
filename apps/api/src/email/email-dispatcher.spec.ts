import { MAX_ATTEMPTS, retryDelayMs } from './email-dispatcher';

describe('email retries', () => {
  const HOUR = 60 * 60_000;

  it('should back off from a minute to twelve hours, each delay in the upper half of its step', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((attempts) => retryDelayMs(attempts, () => 1))).toEqual([
      60_000,
      5 * 60_000,
      15 * 60_000,
      HOUR,
      3 * HOUR,
      6 * HOUR,
      12 * HOUR,
      12 * HOUR,
    ]);
    expect(retryDelayMs(1, () => 0)).toBe(30_000);
  });

  it('should keep retrying for more than a day before giving up, however the jitter falls', () => {
    let shortest = 0;
    for (let attempts = 1; attempts < MAX_ATTEMPTS; attempts++) shortest += retryDelayMs(attempts, () => 0);
    expect(shortest).toBeGreaterThanOrEqual(24 * HOUR);
  });
});
