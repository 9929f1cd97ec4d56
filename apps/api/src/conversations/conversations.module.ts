import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module';
import { ContactsModule } from '../contacts/contacts.module';
import { FilesModule } from '../files/files.module';
import { ConversationMessage } from './messages/conversation-message.entity';
import { MessagesController } from './messages/messages.controller';
import { MessagesRepository } from './messages/messages.repository';
import { MessagesService } from './messages/messages.service';
import { TicketsModule } from '../tickets/tickets.module';
import { ConversationFilesController } from './conversation-files.controller';
import { ConversationIncludes } from './conversation-includes';
import { ConversationSearchRepository } from './conversation-search.repository';
import { ConversationSearchService } from './conversation-search.service';
import { ConversationUser } from './conversation-user.entity';
import { Conversation } from './conversation.entity';
import { ConversationsController } from './conversations.controller';
import { ConversationsRepository } from './conversations.repository';
import { ConversationsService } from './conversations.service';
import { ConversationViews } from './conversation-views';
import { RoutingService } from './routing/routing.service';
import { ActivitiesRepository } from './activities/activities.repository';
import { ActivityLog } from './activities/activity-log';
import { ConversationActivity } from './activities/conversation-activity.entity';
import { ActivitiesController } from './activities/activities.controller';
import { ActivitiesService } from './activities/activities.service';
import { TicketSettingsModule } from '../tickets/settings/ticket-settings.module';
import { ConversationWorkflow } from './workflow/conversation-workflow';
import { SnoozeWakeUp } from './workflow/snooze-wake-up';

// The conversation core: the only module that writes `conversations`, `conversation_messages`,
// `conversation_users` and `conversation_members`. Desk REST, HighLevel, the widget's webhook and
// the conversion all go through its services.
@Module({
  imports: [TypeOrmModule.forFeature([Conversation, ConversationUser, ConversationMessage, ConversationActivity]), AuthModule, ContactsModule, FilesModule, TicketsModule, TicketSettingsModule],
  controllers: [ConversationsController, ConversationFilesController, MessagesController, ActivitiesController],
  providers: [ActivitiesRepository, ActivitiesService, ActivityLog, ConversationWorkflow, SnoozeWakeUp, ConversationIncludes, ConversationViews, RoutingService, ConversationsRepository, ConversationsService, ConversationSearchRepository, ConversationSearchService, MessagesRepository, MessagesService],
  exports: [ConversationsService, ConversationSearchService, MessagesService],
})
export class ConversationsModule {}
