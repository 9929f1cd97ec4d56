import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  ThrottlerModuleOptions,
  ThrottlerRequest,
  ThrottlerStorage,
} from '@nestjs/throttler';
import { deskErrorDialect, dialectFor, RateLimitedError } from '@app/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MetricsService } from '../metrics/metrics.service';
import { FixedWindow, fixedWindow, RateLimitStore } from './rate-limit-store';
import { RateLimitName, refuseRateLimited } from './refuse-rate-limited';

// The Desk dialect's two named throttlers, in the order they are checked: a request refused for
// its key is not charged to its tenant, so one runaway script cannot use up its colleagues' share.
export const DESK_THROTTLERS = ['desk-key', 'desk-tenant'] as const satisfies readonly RateLimitName[];
type DeskThrottler = (typeof DESK_THROTTLERS)[number];

const REFUSALS: Record<DeskThrottler, string> = {
  'desk-key': 'Too many requests: the rate limit of this API key was reached',
  'desk-tenant': 'Too many requests: the rate limit of this account (all its API keys together) was reached',
};

interface Count {
  name: DeskThrottler;
  limit: number;
  remaining: number;
  refused: boolean;
  window: FixedWindow;
}

// The Desk dialect's rate limits, per API key and per tenant, on every route an API key
// authenticated (so after the ApiKeyGuard; @Public routes have no key to count). Every answer of
// such a route carries the limit nearest to running out, as RateLimit-* (the IETF draft, Reset in
// seconds from now) and Teamwork Desk's X-Rate-Limit-* (Reset in UTC epoch seconds); past a limit
// the answer is a 429 with Retry-After, until the window ends. Windows are fixed (Teamwork: "429
// until the current time window has ended") and aligned, so every process agrees on them.
@Injectable()
export class DeskThrottlerGuard extends ThrottlerGuard {
  private readonly counts = new WeakMap<FastifyRequest, Count[]>();

  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly store: RateLimitStore,
    private readonly metrics: MetricsService,
  ) {
    super(options, storage, reflector);
  }

  override async onModuleInit(): Promise<void> {
    await super.onModuleInit();
    // The throttler sorts its throttlers by window; the order above is what matters here.
    this.throttlers.sort((a, b) => DESK_THROTTLERS.indexOf(a.name as DeskThrottler) - DESK_THROTTLERS.indexOf(b.name as DeskThrottler));
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    await super.canActivate(context);
    const http = context.switchToHttp();
    const counts = this.counts.get(http.getRequest<FastifyRequest>());
    // Skipped, or the store could not count (fail-open).
    if (!counts?.length) return true;

    const refused = counts.find((count) => count.refused);
    const shown = refused ?? counts.reduce((nearest, count) => (count.remaining < nearest.remaining ? count : nearest));
    const reply = http.getResponse<FastifyReply>();
    void reply.headers({
      'RateLimit-Limit': String(shown.limit),
      'RateLimit-Remaining': String(shown.remaining),
      'RateLimit-Reset': String(shown.window.secondsLeft),
      'X-Rate-Limit-Limit': String(shown.limit),
      'X-Rate-Limit-Remaining': String(shown.remaining),
      'X-Rate-Limit-Reset': String(Math.ceil(shown.window.end / 1000)),
    });
    if (refused) refuseRateLimited(reply, this.metrics, refused.name, refused.window.secondsLeft, new RateLimitedError('RATE_LIMITED', REFUSALS[refused.name]));
    return true;
  }

  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    return request.principal === undefined || dialectFor(request.url) !== deskErrorDialect;
  }

  // Counts the request against one throttler; canActivate answers once all have counted.
  protected override async handleRequest({ context, limit, ttl, throttler, getTracker }: ThrottlerRequest): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    let counts = this.counts.get(request);
    if (!counts) this.counts.set(request, (counts = []));
    if (counts.some((count) => count.refused)) return true;

    const window = fixedWindow(Date.now(), ttl);
    const counted = await this.store.count(throttler.name!, await getTracker(request, context), window, limit);
    if (counted) {
      counts.push({ name: throttler.name as DeskThrottler, limit, remaining: Math.max(0, limit - counted.hits), refused: counted.refused, window });
    }
    return true;
  }
}
