import { Controller } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CreateSettingDto, UpdateSettingDto } from './dto/setting.dto';
import { settingController } from './ticket-settings.controller-factory';
import { TICKET_TYPES } from './ticket-settings.definitions';
import { SETTING_BODIES, SETTING_SCHEMA } from './ticket-settings.openapi';

// Teamwork Desk v2: /desk/api/v2/tickettypes.json and /desk/api/v2/tickettypes/{id}.json.
@ApiTags('tickettypes')
@Controller('desk/api/v2')
export class TicketTypesController extends settingController({
  definition: TICKET_TYPES,
  createDto: CreateSettingDto,
  updateDto: UpdateSettingDto,
  schema: SETTING_SCHEMA,
  bodies: SETTING_BODIES,
  label: ['ticket type', 'ticket types'],
  notes: {
    create: '`isDefault: true` makes it the default in place of the previous one.',
    update: '`isDefault: true` makes it the default in place of the previous one; false leaves the tenant without one.',
  },
}) {}
