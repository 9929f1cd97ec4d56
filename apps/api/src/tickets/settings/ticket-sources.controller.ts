import { Controller } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CreateSettingDto, UpdateSettingDto } from './dto/setting.dto';
import { settingController } from './ticket-settings.controller-factory';
import { TICKET_SOURCES } from './ticket-settings.definitions';
import { SETTING_BODIES, SETTING_SCHEMA } from './ticket-settings.openapi';

// Teamwork Desk v2: /desk/api/v2/ticketsources.json and /desk/api/v2/ticketsources/{id}.json.
@ApiTags('ticketsources')
@Controller('desk/api/v2')
export class TicketSourcesController extends settingController({
  definition: TICKET_SOURCES,
  createDto: CreateSettingDto,
  updateDto: UpdateSettingDto,
  schema: SETTING_SCHEMA,
  bodies: SETTING_BODIES,
  label: ['ticket source', 'ticket sources'],
  notes: {
    create: '`isDefault: true` makes it the default in place of the previous one.',
    update: '`isDefault: true` makes it the default in place of the previous one; false leaves the tenant without one.',
  },
}) {}
