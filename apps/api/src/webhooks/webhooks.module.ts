import { Module, OnModuleInit } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { LiveEvents } from '../live/live-events';
import { WEBHOOK_DELIVERY_PROVIDERS } from './delivery/webhook-delivery.providers';
import { TENANT_HAS_ACTIVE_SUBSCRIPTION } from './webhook-fan-out.sql';

// Webhooks to customers' systems: subscriptions (`webhooks…`), their deliveries, and the jobs that
// fan live events out to them and send them (docs/architecture.md, "Delivery out").
@Module({
  imports: [AuthModule],
  controllers: [],
  providers: [...WEBHOOK_DELIVERY_PROVIDERS],
})
export class WebhooksModule implements OnModuleInit {
  constructor(private readonly liveEvents: LiveEvents) {}

  onModuleInit(): void {
    this.liveEvents.fanOutWhen(TENANT_HAS_ACTIVE_SUBSCRIPTION);
  }
}
