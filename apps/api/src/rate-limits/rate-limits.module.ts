import { Module } from '@nestjs/common';
import { ThrottlerModule, ThrottlerModuleOptions } from '@nestjs/throttler';
import { AppConfig } from '@app/config';
import type { FastifyRequest } from 'fastify';
import { RateLimitStore } from './rate-limit-store';
import { RateLimitStoreModule } from './rate-limit-store.module';

// What the Desk dialect's DeskThrottlerGuard needs: the throttler's options (its two named
// limits, tracked by the authenticated API key and its tenant) over the shared store. The guard
// itself is registered in AuthModule, right after the API key guard, so that it runs after it.
@Module({
  imports: [
    RateLimitStoreModule,
    ThrottlerModule.forRootAsync({
      imports: [RateLimitStoreModule],
      inject: [AppConfig, RateLimitStore],
      useFactory: (config: AppConfig, store: RateLimitStore): ThrottlerModuleOptions => ({
        storage: store.storage,
        throttlers: [
          {
            name: 'desk-key',
            limit: config.DESK_RATE_LIMIT_PER_KEY,
            ttl: config.DESK_RATE_LIMIT_WINDOW_MS,
            getTracker: (request) => String((request as FastifyRequest).principal!.apiKeyId),
          },
          {
            name: 'desk-tenant',
            limit: config.DESK_RATE_LIMIT_PER_TENANT,
            ttl: config.DESK_RATE_LIMIT_WINDOW_MS,
            getTracker: (request) => String((request as FastifyRequest).principal!.tenantId),
          },
        ],
      }),
    }),
  ],
  exports: [RateLimitStoreModule, ThrottlerModule],
})
export class RateLimitsModule {}
