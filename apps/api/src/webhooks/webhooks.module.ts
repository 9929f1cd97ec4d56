import { Module, OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module';
import { LiveEvents } from '../live/live-events';
import { WEBHOOK_DELIVERY_PROVIDERS } from './delivery/webhook-delivery.providers';
import { TENANT_HAS_ACTIVE_SUBSCRIPTION } from './webhook-fan-out.sql';
import { WebhookDelivery } from './webhook-delivery.entity';
import { WebhookDeliveriesController } from './webhook-deliveries.controller';
import { WebhookSecrets } from './webhook-secrets';
import { WebhookSubscription } from './webhook-subscription.entity';
import { WebhooksController } from './webhooks.controller';
import { WebhooksRepository } from './webhooks.repository';
import { WebhooksService } from './webhooks.service';

// Webhooks to customers' systems: subscriptions (`webhooks…`), their deliveries, and the jobs that
// fan live events out to them and send them (docs/architecture.md, "Delivery out").
@Module({
  imports: [TypeOrmModule.forFeature([WebhookSubscription, WebhookDelivery]), AuthModule],
  controllers: [WebhooksController, WebhookDeliveriesController],
  providers: [WebhooksRepository, WebhooksService, WebhookSecrets, ...WEBHOOK_DELIVERY_PROVIDERS],
  exports: [WebhookSecrets],
})
export class WebhooksModule implements OnModuleInit {
  constructor(private readonly liveEvents: LiveEvents) {}

  onModuleInit(): void {
    this.liveEvents.fanOutWhen(TENANT_HAS_ACTIVE_SUBSCRIPTION);
  }
}
