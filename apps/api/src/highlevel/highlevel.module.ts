import { Module } from '@nestjs/common';
import { ConversationsModule } from '../conversations/conversations.module';
import { FilesModule } from '../files/files.module';
import { MessagesModule } from '../messages/messages.module';
import { RateLimitStoreModule } from '../rate-limits/rate-limit-store.module';
import { HighLevelConversationsController } from './highlevel-conversations.controller';
import { HighLevelGuard } from './highlevel.guard';
import { HighLevelMessagesController } from './highlevel-messages.controller';
import { HighLevelRepository } from './highlevel.repository';
import { HighLevelService } from './highlevel.service';
import { HighLevelRateLimiter } from './rate-limiter';

// HighLevel's Conversations API, a dialect over the Desk dialect's services and rows.
@Module({
  imports: [ConversationsModule, MessagesModule, FilesModule, RateLimitStoreModule],
  controllers: [HighLevelConversationsController, HighLevelMessagesController],
  providers: [HighLevelService, HighLevelRepository, HighLevelRateLimiter, HighLevelGuard],
})
export class HighLevelModule {}
