import { Module } from '@nestjs/common';
import { ConversationsModule } from '../conversations/conversations.module';
import { PusherWebhookGuard } from './pusher-webhook.guard';
import { PusherWebhooksController } from './pusher-webhooks.controller';
import { PusherWebhooksService } from './pusher-webhooks.service';
import { WebhookEventsSweeper } from './webhook-events-sweeper';
import { WebhooksRepository } from './webhooks.repository';

@Module({
  imports: [ConversationsModule],
  controllers: [PusherWebhooksController],
  providers: [PusherWebhooksService, WebhooksRepository, PusherWebhookGuard, WebhookEventsSweeper],
})
export class WebhooksModule {}
