// After the attempt that failed (1st, 2nd, …): 5 s, 1 min, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h,
// each stretched by up to a quarter at random (jitter: receivers that failed together are not
// retried together, and never sooner), about 28 hours at the least from first attempt to last.
// The attempt after the last delay is the last.
export const RETRY_DELAYS_MS = [5_000, 60_000, 5 * 60_000, 30 * 60_000, 2 * 3_600_000, 5 * 3_600_000, 10 * 3_600_000, 10 * 3_600_000];

export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;

// The delay before the next attempt, or null when `attempts` (made so far, this one included)
// used them all up.
export function retryDelayMs(attempts: number, random: () => number = Math.random): number | null {
  const delay = RETRY_DELAYS_MS[attempts - 1];
  if (delay === undefined) return null;
  return Math.round(delay * (1 + random() / 4));
}
