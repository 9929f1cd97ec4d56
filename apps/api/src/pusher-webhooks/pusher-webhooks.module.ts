import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { ContactsModule } from '../contacts/contacts.module';
import { ConversationsModule } from '../conversations/conversations.module';
import { FilesModule } from '../files/files.module';
import { PusherWebhookGuard } from './pusher-webhook.guard';
import { PusherWebhooksController } from './pusher-webhooks.controller';
import { PusherWebhooksService } from './pusher-webhooks.service';
import { WebhookEventsSweeper } from './webhook-events-sweeper';
import { PusherWebhooksRepository } from './pusher-webhooks.repository';

@Module({
  imports: [AuthModule, ContactsModule, ConversationsModule, FilesModule],
  controllers: [PusherWebhooksController],
  providers: [PusherWebhooksService, PusherWebhooksRepository, PusherWebhookGuard, WebhookEventsSweeper],
})
export class PusherWebhooksModule {}
