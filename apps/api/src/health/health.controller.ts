import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
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
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: the database answers too (503 when it does not)', security: [] })
  ready() {
    return this.health.check([() => this.database.pingCheck('database', { timeout: 2000 })]);
  }
}
