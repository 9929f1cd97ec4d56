import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { BadRequestError, RateLimitedError } from '@app/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MetricsService } from '../metrics/metrics.service';
import { HighLevelErrorCode } from './highlevel.errors';
import { HighLevelRateLimiter } from './rate-limiter';
import { refuseRateLimited } from '../rate-limits/refuse-rate-limited';

// The dated versions HighLevel's own clients send: its Create Conversation documentation's, its
// public Conversations API OpenAPI document's, and the default of HighLevel's official Node SDK.
export const HIGHLEVEL_VERSIONS = ['2021-07-28', '2021-04-15', '2023-02-21'] as const;

// Every HighLevel route, after the API key guard: the tenant's rate limits (their headers on
// every answer, a 429 past them), then the Version header.
@Injectable()
export class HighLevelGuard implements CanActivate {
  constructor(
    private readonly limiter: HighLevelRateLimiter,
    private readonly metrics: MetricsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();

    // None when the rate limit store cannot answer: the request goes through uncounted.
    const decision = await this.limiter.take(request.principal!.tenantId);
    if (decision) void reply.headers(decision.headers);
    if (decision?.refusedBy) {
      refuseRateLimited(
        reply,
        this.metrics,
        decision.refusedBy,
        decision.retryAfterSeconds,
        new RateLimitedError(HighLevelErrorCode.RateLimited, 'Too many requests: the rate limit of this location was reached'),
      );
    }

    const version = request.headers.version;
    if (version === undefined || version === '') {
      throw new BadRequestError(HighLevelErrorCode.VersionMissing, `Version header is required: one of ${HIGHLEVEL_VERSIONS.join(', ')}`);
    }
    if (!(HIGHLEVEL_VERSIONS as readonly string[]).includes(String(version))) {
      throw new BadRequestError(
        HighLevelErrorCode.VersionUnsupported,
        `Version header ${JSON.stringify(String(version)).slice(0, 60)} is not supported: use one of ${HIGHLEVEL_VERSIONS.join(', ')}`,
      );
    }
    return true;
  }
}
