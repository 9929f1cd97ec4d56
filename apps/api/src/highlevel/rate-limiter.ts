import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { fixedWindow, RateLimitStore } from '../rate-limits/rate-limit-store';
import { RateLimitName } from '../rate-limits/refuse-rate-limited';

export interface RateLimitDecision {
  // The limit that refused the request; none when it may go through.
  refusedBy: RateLimitName | null;
  // HighLevel's X-RateLimit-* headers, as they stand after this request.
  headers: Record<string, string>;
  // On a refusal: when the window that refused opens again.
  retryAfterSeconds: number;
}

const DAY_MS = 86_400_000;

// HighLevel's limits per tenant: HL_RATE_LIMIT_MAX requests per HL_RATE_LIMIT_INTERVAL_MS and
// HL_RATE_LIMIT_DAILY per UTC day, in fixed windows (aligned to multiples of the interval, and to
// midnight), counted in the rate limit store: in Redis, shared by every process, when REDIS_URL is
// set; in this process's memory otherwise.
@Injectable()
export class HighLevelRateLimiter {
  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    private readonly store: RateLimitStore,
  ) {}

  // Counts a request of the tenant unless a limit is reached; refused requests count against
  // neither window. Null when the store cannot answer: the request then goes through uncounted.
  async take(tenantId: number, now = Date.now()): Promise<RateLimitDecision | null> {
    const { HL_RATE_LIMIT_MAX: max, HL_RATE_LIMIT_INTERVAL_MS: interval, HL_RATE_LIMIT_DAILY: daily } = this.config;
    const burst = fixedWindow(now, interval);
    const day = fixedWindow(now, DAY_MS);

    // The day is read before anything is counted: a request it refuses must not use up the burst
    // window, and one the burst window refuses must not use up the day.
    const dayBefore = await this.store.peek('hl-daily', tenantId, day);
    if (dayBefore === null) return null;
    let burstCount: number | null;
    let dayCount = Math.min(dayBefore, daily);
    let refusedBy: RateLimitName | null = null;
    if (dayCount >= daily) {
      refusedBy = 'hl-daily';
      burstCount = await this.store.peek('hl-burst', tenantId, burst);
    } else {
      const burstCounted = await this.store.count('hl-burst', tenantId, burst, max);
      burstCount = burstCounted?.hits ?? null;
      if (burstCounted?.refused) {
        refusedBy = 'hl-burst';
      } else if (burstCounted) {
        const dayCounted = await this.store.count('hl-daily', tenantId, day, daily);
        if (!dayCounted) return null;
        dayCount = dayCounted.hits;
        // Another process took the day's last request since it was read.
        if (dayCounted.refused) refusedBy = 'hl-daily';
      }
    }
    if (burstCount === null) return null;

    return {
      refusedBy,
      headers: {
        'X-RateLimit-Limit-Daily': String(daily),
        'X-RateLimit-Daily-Remaining': String(Math.max(0, daily - dayCount)),
        'X-RateLimit-Interval-Milliseconds': String(interval),
        'X-RateLimit-Max': String(max),
        'X-RateLimit-Remaining': String(Math.max(0, max - burstCount)),
      },
      retryAfterSeconds: refusedBy === 'hl-daily' ? day.secondsLeft : burst.secondsLeft,
    };
  }
}
