import { Controller } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CreateSettingDto, UpdateSettingDto } from './dto/setting.dto';
import { settingController } from './ticket-settings.controller-factory';
import { TICKET_STATUSES } from './ticket-settings.definitions';
import { SETTING_BODIES, SETTING_SCHEMA } from './ticket-settings.openapi';

// Teamwork Desk v2: /desk/api/v2/ticketstatuses.json and /desk/api/v2/ticketstatuses/{id}.json.
@ApiTags('ticketstatuses')
@Controller('desk/api/v2')
export class TicketStatusesController extends settingController({
  definition: TICKET_STATUSES,
  createDto: CreateSettingDto,
  updateDto: UpdateSettingDto,
  schema: SETTING_SCHEMA,
  bodies: SETTING_BODIES,
  label: ['ticket status', 'ticket statuses'],
  notes: {
    create: '`isDefault: true` makes it the default in place of the previous one.',
    update:
      '`isDefault: true` makes it the default in place of the previous one. There is always a default: ' +
      'unsetting it is a 409 SETTING_DEFAULT_REQUIRED; make another one the default instead.',
    remove: 'The default cannot be deleted (409 SETTING_DEFAULT_REQUIRED): make another one the default first.',
  },
}) {}
