import { Module } from '@nestjs/common';
import { RateLimitStore } from './rate-limit-store';

// The one store of every rate limit (one Redis connection per process), for the Desk throttler
// and the HighLevel limiter alike.
@Module({
  providers: [RateLimitStore],
  exports: [RateLimitStore],
})
export class RateLimitStoreModule {}
