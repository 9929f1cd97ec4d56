import { Global, Module } from '@nestjs/common';
import { LiveEvents } from './live-events';
import { OutboxDispatcher } from './outbox-dispatcher';
import { PusherService } from './pusher.service';

// Pusher for every feature: the app's client and webhook keys, and the live updates outbox.
@Global()
@Module({
  providers: [PusherService, LiveEvents, OutboxDispatcher],
  exports: [PusherService, LiveEvents],
})
export class PusherModule {}
