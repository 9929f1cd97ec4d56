import { RateLimitedError } from '@app/common';
import type { FastifyReply } from 'fastify';
import { MetricsService, RateLimitDialect, RateLimitScope } from '../metrics/metrics.service';

// Which limit refused a request, for logs and metrics.
export type RateLimitName = 'desk-key' | 'desk-tenant' | 'hl-burst' | 'hl-daily';

const METRIC_LABELS: Record<RateLimitName, [RateLimitDialect, RateLimitScope]> = {
  'desk-key': ['desk', 'api_key'],
  'desk-tenant': ['desk', 'tenant'],
  'hl-burst': ['highlevel', 'tenant'],
  'hl-daily': ['highlevel', 'tenant'],
};

// Every 429 of both dialects is thrown here: the one place that counts refusals by limit.
export function refuseRateLimited(
  reply: FastifyReply,
  metrics: MetricsService,
  limit: RateLimitName,
  retryAfterSeconds: number,
  error: RateLimitedError,
): never {
  reply.request.log.debug({ rateLimit: limit, retryAfterSeconds }, 'rate limited');
  metrics.rateLimitRejected(...METRIC_LABELS[limit]);
  void reply.header('Retry-After', String(retryAfterSeconds));
  throw error;
}
