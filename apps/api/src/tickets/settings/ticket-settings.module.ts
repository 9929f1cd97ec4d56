import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../../auth/auth.module';
import { CustomFieldsController } from './custom-fields.controller';
import { CustomField } from './custom-field.entity';
import { InboundSecretsController } from './inbound-secrets.controller';
import { InboundSecretsRepository } from './inbound-secrets.repository';
import { InboundSecretsService } from './inbound-secrets.service';
import { InboxesController } from './inboxes.controller';
import { Tag } from './tag.entity';
import { TagsController } from './tags.controller';
import { TicketPrioritiesController } from './ticket-priorities.controller';
import { Inbox, TicketPriority, TicketSource, TicketStatus, TicketType } from './ticket-setting.entity';
import { TicketSettingsRepository } from './ticket-settings.repository';
import { TicketSettingsService } from './ticket-settings.service';
import { TicketSourcesController } from './ticket-sources.controller';
import { TicketStatusesController } from './ticket-statuses.controller';
import { TicketTemplate } from './ticket-template.entity';
import { TicketTemplatesController } from './ticket-templates.controller';
import { TicketTypesController } from './ticket-types.controller';

// The tenant's ticket settings: inboxes, statuses, priorities, types, sources, tags, custom
// fields and ticket templates. AuthModule gives UsersService (a template's agent).
@Module({
  imports: [TypeOrmModule.forFeature([Inbox, TicketStatus, TicketPriority, TicketType, TicketSource, Tag, CustomField, TicketTemplate]), AuthModule],
  controllers: [
    InboxesController,
    TicketStatusesController,
    TicketPrioritiesController,
    TicketTypesController,
    TicketSourcesController,
    TagsController,
    CustomFieldsController,
    TicketTemplatesController,
    InboundSecretsController,
  ],
  providers: [TicketSettingsRepository, TicketSettingsService, InboundSecretsRepository, InboundSecretsService],
  exports: [TicketSettingsService, InboundSecretsService],
})
export class TicketSettingsModule {}
