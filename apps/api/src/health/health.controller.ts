import { Controller, Get } from '@nestjs/common';
import { NEST_ERROR_SCHEMA } from '@app/common';
import { ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../auth/public.decorator';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
  ) {}

  // Liveness: the process answers.
  @Get()
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness: the process answers', security: [] })
  live() {
    return this.health.check([]);
  }

  // Readiness: the database answers too.
  @Get('ready')
  // Over @HealthCheck()'s: the error filter answers a failed check in Nest's error body.
  @ApiServiceUnavailableResponse({ description: 'The database does not answer', schema: NEST_ERROR_SCHEMA })
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: the database answers too (503 when it does not)', security: [] })
  ready() {
    return this.health.check([() => this.database.pingCheck('database', { timeout: 2000 })]);
  }
}
