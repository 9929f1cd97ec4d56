import { Global, Module } from '@nestjs/common';
import { LiveEvents } from './live-events';
import { Outbox } from './outbox';
import { OutboxDispatcher } from './outbox-dispatcher';
import { OutboxMetrics } from './outbox-metrics';
import { OutboxPurge } from './outbox-purge';
import { PusherService } from './pusher.service';
import { WebhookFanOutSource } from './webhook-fan-out-source';

// The live-updates layer, under every feature: the Pusher client and webhook keys, the channel names,
// and the outbox features publish into. Imports no feature, so any feature can use it without a cycle.
@Global()
@Module({
  providers: [PusherService, LiveEvents, Outbox, OutboxDispatcher, OutboxMetrics, OutboxPurge, WebhookFanOutSource],
  exports: [PusherService, LiveEvents, Outbox, WebhookFanOutSource],
})
export class LiveModule {}
