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
import { ChangeBatch } from './change-batch';
import { ConversationViews } from './conversation-views';
import { AvailabilityController } from './routing/availability.controller';
import { AvailabilityService } from './routing/availability.service';
import { RoutingRepository } from './routing/routing.repository';
import { RoutingService } from './routing/routing.service';
import { RoutingSweep } from './routing/routing-sweep';
import { Team } from './routing/team.entity';
import { TeamMember } from './routing/team-member.entity';
import { TeamIncludes } from './routing/team-includes';
import { TeamsController } from './routing/teams.controller';
import { TeamsRepository } from './routing/teams.repository';
import { TeamsService } from './routing/teams.service';
import { ActivitiesRepository } from './activities/activities.repository';
import { ActivityLog } from './activities/activity-log';
import { ConversationActivity } from './activities/conversation-activity.entity';
import { ConversationMention } from './messages/conversation-mention.entity';
import { MentionsController } from './messages/mentions.controller';
import { BulkUpdateService } from './bulk/bulk-update.service';
import { QueueCountsRepository } from './queues/queue-counts.repository';
import { QueueCountsService } from './queues/queue-counts.service';
import { StatusCountsFold } from './queues/status-counts-fold';
import { ActivitiesController } from './activities/activities.controller';
import { ActivitiesService } from './activities/activities.service';
import { TicketSettingsModule } from '../tickets/settings/ticket-settings.module';
import { ConversationWorkflow } from './workflow/conversation-workflow';
import { SnoozeWakeUp } from './workflow/snooze-wake-up';
import { AgentConversations } from './workflow/agent-conversations';

// The conversation core: the only module that writes `conversations`, `conversation_messages`,
// `conversation_users` and `conversation_members`. Desk REST, HighLevel, the widget's webhook and
// the conversion all go through its services.
@Module({
  imports: [
    TypeOrmModule.forFeature([Conversation, ConversationUser, ConversationMessage, ConversationActivity, ConversationMention, Team, TeamMember]),
    AuthModule,
    ContactsModule,
    FilesModule,
    TicketsModule,
    TicketSettingsModule,
  ],
  controllers: [ConversationsController, ConversationFilesController, MessagesController, MentionsController, TeamsController, AvailabilityController, ActivitiesController],
  providers: [
    ActivitiesRepository,
    AgentConversations,
    ActivitiesService,
    BulkUpdateService,
    ChangeBatch,
    ActivityLog,
    AvailabilityService,
    ConversationIncludes,
    ConversationViews,
    ConversationWorkflow,
    ConversationsRepository,
    ConversationsService,
    ConversationSearchRepository,
    ConversationSearchService,
    MessagesRepository,
    MessagesService,
    QueueCountsRepository,
    QueueCountsService,
    RoutingRepository,
    RoutingService,
    RoutingSweep,
    SnoozeWakeUp,
    StatusCountsFold,
    TeamIncludes,
    TeamsRepository,
    TeamsService,
  ],
  exports: [AvailabilityService, ConversationsService, ConversationSearchService, MessagesService],
})
export class ConversationsModule {}
