import { Module } from '@nestjs/common';
import { ContactsModule } from '../contacts/contacts.module';
import { ConversationsModule } from '../conversations/conversations.module';
import { FilesModule } from '../files/files.module';
import { RateLimitStoreModule } from '../rate-limits/rate-limit-store.module';
import { HighLevelConversationsController } from './highlevel-conversations.controller';
import { HighLevelGuard } from './highlevel.guard';
import { HighLevelMessagesController } from './highlevel-messages.controller';
import { HighLevelService } from './highlevel.service';
import { HighLevelRateLimiter } from './rate-limiter';

// HighLevel's Conversations API, a dialect over the Desk dialect's services and rows.
@Module({
  imports: [ContactsModule, ConversationsModule, FilesModule, RateLimitStoreModule],
  controllers: [HighLevelConversationsController, HighLevelMessagesController],
  providers: [HighLevelService, HighLevelRateLimiter, HighLevelGuard],
})
export class HighLevelModule {}
