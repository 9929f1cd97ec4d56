import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DeskThrottlerGuard } from '../rate-limits/desk-throttler.guard';
import { RateLimitsModule } from '../rate-limits/rate-limits.module';
import { AgentDeactivation } from './agent-deactivation';
import { ApiKey } from './api-key.entity';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';
import { Tenant } from './tenant.entity';
import { TenantsRepository } from './tenants.repository';
import { TenantsService } from './tenants.service';
import { User } from './user.entity';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';

@Module({
  imports: [TypeOrmModule.forFeature([Tenant, User, ApiKey]), RateLimitsModule],
  controllers: [UsersController],
  providers: [
    AgentDeactivation,
    ApiKeysRepository,
    ApiKeysService,
    TenantsRepository,
    TenantsService,
    UsersRepository,
    UsersService,
    // Global guards run in the order they are registered: the rate limits count the principal the
    // API key guard found.
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    { provide: APP_GUARD, useClass: DeskThrottlerGuard },
  ],
  exports: [AgentDeactivation, ApiKeysService, TenantsService, UsersService],
})
export class AuthModule {}
