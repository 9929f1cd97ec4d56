import { Controller } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CreateInboxDto, UpdateInboxDto } from './dto/inbox.dto';
import { settingController } from './ticket-settings.controller-factory';
import { INBOXES } from './ticket-settings.definitions';
import { INBOX_BODIES, INBOX_SCHEMA } from './ticket-settings.openapi';

// Teamwork Desk v2: /desk/api/v2/inboxes.json and /desk/api/v2/inboxes/{id}.json.
@ApiTags('inboxes')
@Controller('desk/api/v2')
export class InboxesController extends settingController({
  definition: INBOXES,
  createDto: CreateInboxDto,
  updateDto: UpdateInboxDto,
  schema: INBOX_SCHEMA,
  bodies: INBOX_BODIES,
  label: ['inbox', 'inboxes'],
  notes: {
    create: '`isDefault: true` makes it the default in place of the previous one.',
    update:
      '`isDefault: true` makes it the default in place of the previous one. There is always a default: ' +
      'unsetting it is a 409 SETTING_DEFAULT_REQUIRED; make another one the default instead.',
    remove: 'The default cannot be deleted (409 SETTING_DEFAULT_REQUIRED): make another one the default first.',
  },
}) {}
