import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config';

export interface RateLimitDecision {
  allowed: boolean;
  // HighLevel's X-RateLimit-* headers, as they stand after this request.
  headers: Record<string, string>;
  // On a refusal: when the window that refused opens again.
  retryAfterSeconds: number;
}

interface TenantWindows {
  burstStart: number;
  burstCount: number;
  day: number;
  dayCount: number;
}

const DAY_MS = 86_400_000;

// HighLevel's limits per tenant: HL_RATE_LIMIT_MAX requests per HL_RATE_LIMIT_INTERVAL_MS and
// HL_RATE_LIMIT_DAILY per UTC day, in fixed windows. Counted in this process's memory: a check
// costs no round trip to PostgreSQL on every request of the dialect, and a restart forgets at most
// one window. Several processes each count their own share (README, "Rate limits").
@Injectable()
export class HighLevelRateLimiter {
  private readonly tenants = new Map<number, TenantWindows>();

  constructor(@Inject(AppConfig) private readonly config: AppConfig) {}

  // Counts a request of the tenant unless a limit is reached; refused requests do not count.
  take(tenantId: number, now = Date.now()): RateLimitDecision {
    const { HL_RATE_LIMIT_MAX: max, HL_RATE_LIMIT_INTERVAL_MS: interval, HL_RATE_LIMIT_DAILY: daily } = this.config;
    const burstStart = now - (now % interval);
    const day = Math.floor(now / DAY_MS);
    const windows = this.current(tenantId, burstStart, day);

    const burstFull = windows.burstCount >= max;
    const dayFull = windows.dayCount >= daily;
    if (!burstFull && !dayFull) {
      windows.burstCount++;
      windows.dayCount++;
    }
    const untilBurst = Math.ceil((burstStart + interval - now) / 1000);
    const untilDay = Math.ceil(((day + 1) * DAY_MS - now) / 1000);
    return {
      allowed: !burstFull && !dayFull,
      headers: {
        'X-RateLimit-Limit-Daily': String(daily),
        'X-RateLimit-Daily-Remaining': String(daily - windows.dayCount),
        'X-RateLimit-Interval-Milliseconds': String(interval),
        'X-RateLimit-Max': String(max),
        'X-RateLimit-Remaining': String(max - windows.burstCount),
      },
      retryAfterSeconds: Math.max(1, dayFull ? untilDay : untilBurst),
    };
  }

  private current(tenantId: number, burstStart: number, day: number): TenantWindows {
    let windows = this.tenants.get(tenantId);
    if (!windows) {
      windows = { burstStart, burstCount: 0, day, dayCount: 0 };
      this.tenants.set(tenantId, windows);
    }
    if (windows.burstStart !== burstStart) Object.assign(windows, { burstStart, burstCount: 0 });
    if (windows.day !== day) Object.assign(windows, { day, dayCount: 0 });
    return windows;
  }
}
