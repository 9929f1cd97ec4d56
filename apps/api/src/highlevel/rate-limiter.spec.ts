import { AppConfig } from '@app/config';
import { RateLimitStore } from '../rate-limits/rate-limit-store';
import { HighLevelRateLimiter } from './rate-limiter';

const DAY_MS = 86_400_000;
// A Thursday at 10:00:00.000 UTC: a multiple of every interval used below.
const T0 = Date.UTC(2025, 10, 20, 10, 0, 0, 0);

// Counted in memory, as without REDIS_URL; test/rate-limits.e2e-spec.ts holds the same through Redis.
const stores: RateLimitStore[] = [];
function limiter(max: number, interval: number, daily: number): HighLevelRateLimiter {
  const config = { HL_RATE_LIMIT_MAX: max, HL_RATE_LIMIT_INTERVAL_MS: interval, HL_RATE_LIMIT_DAILY: daily, REDIS_KEY_PREFIX: 'test:' } as AppConfig;
  const store = new RateLimitStore(config);
  stores.push(store);
  return new HighLevelRateLimiter(config, store);
}

async function take(rl: HighLevelRateLimiter, tenantId: number, now?: number) {
  const decision = (await rl.take(tenantId, now))!;
  return { ...decision, allowed: decision.refusedBy === null };
}

describe(HighLevelRateLimiter.name, () => {
  afterEach(() => stores.splice(0).forEach((store) => store.onApplicationShutdown()));

  it("should count a tenant's requests down with HighLevel's five headers", async () => {
    const rl = limiter(3, 10_000, 100);

    const answers = [await take(rl, 7, T0 + 1), await take(rl, 7, T0 + 2), await take(rl, 7, T0 + 3)];

    expect(answers.map((a) => a.allowed)).toEqual([true, true, true]);
    expect(answers[0].headers).toEqual({
      'X-RateLimit-Limit-Daily': '100',
      'X-RateLimit-Daily-Remaining': '99',
      'X-RateLimit-Interval-Milliseconds': '10000',
      'X-RateLimit-Max': '3',
      'X-RateLimit-Remaining': '2',
    });
    expect(answers.map((a) => a.headers['X-RateLimit-Remaining'])).toEqual(['2', '1', '0']);
    expect(answers.map((a) => a.headers['X-RateLimit-Daily-Remaining'])).toEqual(['99', '98', '97']);
  });

  it('should refuse past the burst limit, with Retry-After up to the end of the window', async () => {
    const rl = limiter(2, 10_000, 100);
    await take(rl, 1, T0);
    await take(rl, 1, T0 + 1_000);

    const refused = await take(rl, 1, T0 + 2_500);

    expect(refused.allowed).toBe(false);
    expect(refused.headers['X-RateLimit-Remaining']).toBe('0');
    expect(refused.headers['X-RateLimit-Daily-Remaining']).toBe('98');
    // 7.5 s left in the window, rounded up.
    expect(refused.retryAfterSeconds).toBe(8);
    expect((await take(rl, 1, T0 + 9_999)).retryAfterSeconds).toBe(1);
  });

  it('should not count refused requests', async () => {
    const rl = limiter(2, 10_000, 100);
    await take(rl, 1, T0);
    await take(rl, 1, T0 + 1);
    for (let i = 0; i < 10; i++) expect((await take(rl, 1, T0 + 2 + i)).allowed).toBe(false);

    const next = await take(rl, 1, T0 + 10_000);

    expect(next.allowed).toBe(true);
    expect(next.headers['X-RateLimit-Remaining']).toBe('1');
    // Two allowed before, and this one: the ten refusals are not in the day's count.
    expect(next.headers['X-RateLimit-Daily-Remaining']).toBe('97');
  });

  it('should reset the burst window at the interval boundary, not an interval after the first request', async () => {
    const rl = limiter(2, 10_000, 100);
    // The window is [T0, T0 + 10 s): the first request comes late in it.
    await take(rl, 1, T0 + 9_000);
    await take(rl, 1, T0 + 9_500);
    const lastOfWindow = await take(rl, 1, T0 + 9_999);
    expect(lastOfWindow.allowed).toBe(false);
    expect(lastOfWindow.retryAfterSeconds).toBe(1);

    const atBoundary = await take(rl, 1, T0 + 10_000);
    expect(atBoundary.allowed).toBe(true);
    expect(atBoundary.headers['X-RateLimit-Remaining']).toBe('1');
    expect((await take(rl, 1, T0 + 19_999)).headers['X-RateLimit-Remaining']).toBe('0');
    expect((await take(rl, 1, T0 + 19_999)).allowed).toBe(false);
    expect((await take(rl, 1, T0 + 20_000)).allowed).toBe(true);
  });

  it('should align windows of intervals that do not divide a second', async () => {
    const rl = limiter(1, 700, 100);
    const start = 700 * 2_000_000_000;
    expect((await take(rl, 1, start + 650)).allowed).toBe(true);
    expect((await take(rl, 1, start + 699)).allowed).toBe(false);
    expect((await take(rl, 1, start + 700)).allowed).toBe(true);
  });

  it('should reset the daily window at UTC midnight, and point Retry-After there', async () => {
    const rl = limiter(100, 10_000, 3);
    const midnight = Math.ceil(T0 / DAY_MS) * DAY_MS;
    const lateEvening = midnight - 90_500;
    // The three of the day in three burst windows.
    await take(rl, 1, lateEvening - 60_000);
    await take(rl, 1, lateEvening - 30_000);
    expect((await take(rl, 1, lateEvening)).headers['X-RateLimit-Daily-Remaining']).toBe('0');

    const refused = await take(rl, 1, lateEvening + 20_000);
    expect(refused.allowed).toBe(false);
    expect(refused.headers['X-RateLimit-Daily-Remaining']).toBe('0');
    // The burst window would open in 10 s; the day's opens at midnight, 70.5 s away.
    expect(refused.retryAfterSeconds).toBe(71);
    expect((await take(rl, 1, midnight - 1)).allowed).toBe(false);

    const tomorrow = await take(rl, 1, midnight);
    expect(tomorrow.allowed).toBe(true);
    expect(tomorrow.headers['X-RateLimit-Daily-Remaining']).toBe('2');
    expect(tomorrow.headers['X-RateLimit-Remaining']).toBe('99');
  });

  it('should point Retry-After to midnight when both windows are full, even if the burst window ends later', async () => {
    // 5,000 s does not divide a day: this burst window runs until 1,801.5 s after midnight.
    const rl = limiter(2, 5_000_000, 2);
    const midnight = Math.ceil(T0 / DAY_MS) * DAY_MS;
    await take(rl, 1, midnight - 2_000);
    await take(rl, 1, midnight - 1_900);
    const refused = await take(rl, 1, midnight - 1_500);
    expect(refused.allowed).toBe(false);
    expect(refused.headers['X-RateLimit-Remaining']).toBe('0');
    expect(refused.headers['X-RateLimit-Daily-Remaining']).toBe('0');
    expect(refused.retryAfterSeconds).toBe(2);
    // After midnight the day has room again, but the burst window is still full.
    const afterMidnight = await take(rl, 1, midnight + 1);
    expect(afterMidnight.allowed).toBe(false);
    expect(afterMidnight.headers['X-RateLimit-Daily-Remaining']).toBe('2');
    expect(afterMidnight.retryAfterSeconds).toBe(1800);
  });

  it('should keep each tenant to its own windows', async () => {
    const rl = limiter(2, 10_000, 3);
    await take(rl, 1, T0);
    await take(rl, 1, T0 + 1);
    expect((await take(rl, 1, T0 + 2)).allowed).toBe(false);

    const other = await take(rl, 2, T0 + 3);
    expect(other.allowed).toBe(true);
    expect(other.headers['X-RateLimit-Remaining']).toBe('1');
    expect(other.headers['X-RateLimit-Daily-Remaining']).toBe('2');

    // The first tenant's day is still its own: its last request of the day, once the burst window passes.
    const later = await take(rl, 1, T0 + 10_000);
    expect(later.headers['X-RateLimit-Daily-Remaining']).toBe('0');
    expect((await take(rl, 2, T0 + 10_001)).headers['X-RateLimit-Daily-Remaining']).toBe('1');
  });

  it('should take the time now when none is given', async () => {
    const rl = limiter(5, 3_600_000, 10);
    const before = Date.now();
    const answer = await take(rl, 3);
    expect(answer.allowed).toBe(true);
    expect(answer.headers['X-RateLimit-Remaining']).toBe('4');
    expect(answer.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(answer.retryAfterSeconds).toBeLessThanOrEqual(Math.ceil((3_600_000 - (before % 3_600_000)) / 1000));
  });
});
