import { Controller, createParamDecorator, ExecutionContext, Get, Header, NotFoundException } from '@nestjs/common';
import { UnauthenticatedError } from '@app/common';
import type { FastifyRequest } from 'fastify';
import { Registry } from 'prom-client';
import { Public } from '../auth/public.decorator';
import { ApiMetrics } from './metrics.openapi';
import { MetricsService } from './metrics.service';

// The Authorization header as sent. Read here rather than with @Headers(), which the OpenAPI
// document would show as a parameter; the security scheme describes it there.
const Authorization = createParamDecorator((_data: unknown, context: ExecutionContext): string | undefined => {
  const value = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization;
  return typeof value === 'string' ? value : undefined;
});

// Prometheus scrapes GET /metrics with METRICS_TOKEN as its bearer token; without a token
// configured the endpoint answers as an unknown route.
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  @Header('Cache-Control', 'no-store')
  @ApiMetrics()
  async scrape(@Authorization() authorization: string | undefined): Promise<string> {
    if (!this.metrics.enabled) throw new NotFoundException('Cannot GET /metrics');
    if (!this.metrics.authorized(authorization)) throw new UnauthenticatedError('METRICS_TOKEN_INVALID', 'a valid metrics token is required');
    return this.metrics.scrape();
  }
}
