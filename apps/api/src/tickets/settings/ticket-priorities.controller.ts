import { Controller } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CreateSettingDto, UpdateSettingDto } from './dto/setting.dto';
import { settingController } from './ticket-settings.controller-factory';
import { TICKET_PRIORITIES } from './ticket-settings.definitions';
import { SETTING_BODIES, SETTING_SCHEMA } from './ticket-settings.openapi';

// Teamwork Desk v2: /desk/api/v2/ticketpriorities.json and /desk/api/v2/ticketpriorities/{id}.json.
@ApiTags('ticketpriorities')
@Controller('desk/api/v2')
export class TicketPrioritiesController extends settingController({
  definition: TICKET_PRIORITIES,
  createDto: CreateSettingDto,
  updateDto: UpdateSettingDto,
  schema: SETTING_SCHEMA,
  bodies: SETTING_BODIES,
  label: ['ticket priority', 'ticket priorities'],
  notes: {
    create: '`isDefault: true` makes it the default in place of the previous one.',
    update: '`isDefault: true` makes it the default in place of the previous one; false leaves the tenant without one.',
  },
}) {}
