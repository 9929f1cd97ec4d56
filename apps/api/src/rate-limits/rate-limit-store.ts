import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { AppConfig } from '@app/config';
import Redis from 'ioredis';

// One count of one limit, after this request.
export interface LimitCount {
  // Requests of the window so far, this one included when it was let through; at most limit + 1.
  hits: number;
  refused: boolean;
}

// One window of a fixed-window limit: windows are aligned to multiples of their length since the
// epoch, so every process agrees on them and a reset time is the same for every caller.
export interface FixedWindow {
  start: number;
  end: number;
  // Whole seconds until the window ends, at least 1: what Retry-After and the reset headers say.
  secondsLeft: number;
  msLeft: number;
}

export function fixedWindow(now: number, lengthMs: number): FixedWindow {
  const start = now - (now % lengthMs);
  const msLeft = start + lengthMs - now;
  return { start, end: start + lengthMs, msLeft, secondsLeft: Math.max(1, Math.ceil(msLeft / 1000)) };
}

// A window's counter outlives its window by this much: the key names its window, so the count is
// never read after it, and the slack keeps clock differences from ending a count early.
const EXPIRY_SLACK_MS = 5_000;
// How often a Redis outage is logged while it lasts.
const OUTAGE_LOG_INTERVAL_MS = 60_000;

// Where the rate limits of both dialects count: the throttler's storage, in Redis when REDIS_URL
// is set (every process shares the counts) and in this process's memory otherwise. When Redis
// cannot answer, requests go through uncounted (fail-open): a helpdesk that refuses its agents
// because a cache is down is worse than one that is briefly unlimited. The outage is logged once a
// minute while it lasts.
@Injectable()
export class RateLimitStore implements OnModuleInit, OnApplicationShutdown {
  readonly storage: ThrottlerStorage;
  private readonly redis: Redis | null;
  private readonly logger = new Logger(RateLimitStore.name);
  private lastOutageLog = 0;

  constructor(@Inject(AppConfig) private readonly config: AppConfig) {
    if (config.REDIS_URL) {
      this.redis = new Redis(config.REDIS_URL, {
        lazyConnect: true,
        connectTimeout: 1_000,
        // A request waits at most this long for a count, and not at all while Redis is known to be
        // down (nothing is queued for a connection to come).
        commandTimeout: 500,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
      });
      this.redis.on('error', (error: Error) => this.unavailable(error));
      this.storage = new ThrottlerStorageRedisService(this.redis);
    } else {
      this.redis = null;
      this.storage = new ThrottlerStorageService();
    }
  }

  // Connects before the first request so that it is counted; a Redis down at boot does not stop
  // the service, which keeps trying in the background.
  async onModuleInit(): Promise<void> {
    await this.redis?.connect().catch((error: Error) => this.unavailable(error));
  }

  onApplicationShutdown(): void {
    this.redis?.disconnect(false);
    if (this.storage instanceof ThrottlerStorageService) this.storage.onApplicationShutdown();
  }

  // Counts a request in the window `window` of the limit `name` for `subject` (an API key, a
  // tenant). Null when the store cannot answer: the request is then let through.
  async count(name: string, subject: string | number, window: FixedWindow, limit: number): Promise<LimitCount | null> {
    const ttl = window.msLeft + EXPIRY_SLACK_MS;
    try {
      const record = await this.storage.increment(this.keyOf(name, subject, window), ttl, limit, ttl, name);
      return { hits: Math.min(record.totalHits, limit + 1), refused: record.isBlocked };
    } catch (error) {
      this.unavailable(error as Error);
      return null;
    }
  }

  // The requests counted so far in a window, without counting one: how the HighLevel limiter shows
  // the day's count on a request the burst limit refused (which the day must not count). Null when
  // the store cannot answer.
  async peek(name: string, subject: string | number, window: FixedWindow): Promise<number | null> {
    const key = this.keyOf(name, subject, window);
    if (this.storage instanceof ThrottlerStorageService) return this.storage.storage.get(key)?.totalHits.get(name) ?? 0;
    try {
      // The Redis adapter's own name for the count of (key, throttler name).
      return Number((await this.redis!.get(`{${key}:${name}}:hits`)) ?? 0);
    } catch (error) {
      this.unavailable(error as Error);
      return null;
    }
  }

  private keyOf(name: string, subject: string | number, window: FixedWindow): string {
    return `${this.config.REDIS_KEY_PREFIX}${name}:${subject}:${window.start}`;
  }

  private unavailable(error: Error): void {
    const now = Date.now();
    if (now - this.lastOutageLog < OUTAGE_LOG_INTERVAL_MS) return;
    this.lastOutageLog = now;
    this.logger.warn(`rate limits are not enforced while Redis cannot be reached: ${error.message}`);
  }
}
