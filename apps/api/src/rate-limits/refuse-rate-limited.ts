import { RateLimitedError } from '@app/common';
import type { FastifyReply } from 'fastify';

// Which limit refused a request, for logs and metrics.
export type RateLimitName = 'desk-key' | 'desk-tenant' | 'hl-burst' | 'hl-daily';

// Every 429 of both dialects is thrown here: the one place to count refusals by limit.
export function refuseRateLimited(reply: FastifyReply, limit: RateLimitName, retryAfterSeconds: number, error: RateLimitedError): never {
  reply.request.log.debug({ rateLimit: limit, retryAfterSeconds }, 'rate limited');
  void reply.header('Retry-After', String(retryAfterSeconds));
  throw error;
}
