import { Module, OnModuleInit } from '@nestjs/common';
import { LiveEvents } from '../live/live-events';
import { TENANT_HAS_ACTIVE_SUBSCRIPTION } from './webhook-fan-out.sql';

// Webhooks to customers' systems: subscriptions (`webhooks…`), their deliveries, and the jobs that
// fan live events out to them and send them (docs/architecture.md, "Delivery out").
@Module({
  imports: [],
  controllers: [],
  providers: [],
})
export class WebhooksModule implements OnModuleInit {
  constructor(private readonly liveEvents: LiveEvents) {}

  onModuleInit(): void {
    this.liveEvents.fanOutWhen(TENANT_HAS_ACTIVE_SUBSCRIPTION);
  }
}
