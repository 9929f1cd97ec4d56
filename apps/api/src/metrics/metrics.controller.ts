import { Controller, Get, Header, Headers, NotFoundException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { UnauthenticatedError } from '@app/common';
import { Registry } from 'prom-client';
import { Public } from '../auth/public.decorator';
import { MetricsService } from './metrics.service';

// Prometheus scrapes GET /metrics with METRICS_TOKEN as its bearer token; without a token
// configured the endpoint answers as an unknown route. Operator-only: not in the OpenAPI document.
@ApiExcludeController()
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  @Header('Cache-Control', 'no-store')
  async scrape(@Headers('authorization') authorization: string | undefined): Promise<string> {
    if (!this.metrics.enabled) throw new NotFoundException('Cannot GET /metrics');
    if (!this.metrics.authorized(authorization)) throw new UnauthenticatedError('METRICS_TOKEN_INVALID', 'a valid metrics token is required');
    return this.metrics.scrape();
  }
}
