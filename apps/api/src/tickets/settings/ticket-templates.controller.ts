import { Controller } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CreateTicketTemplateDto, UpdateTicketTemplateDto } from './dto/ticket-template.dto';
import { settingController } from './ticket-settings.controller-factory';
import { TICKET_TEMPLATES } from './ticket-settings.definitions';
import { TICKET_TEMPLATE_BODIES, TICKET_TEMPLATE_SCHEMA } from './ticket-settings.openapi';

// Teamwork Desk v2: /desk/api/v2/tickettemplates.json and /desk/api/v2/tickettemplates/{id}.json.
@ApiTags('tickettemplates')
@Controller('desk/api/v2')
export class TicketTemplatesController extends settingController({
  definition: TICKET_TEMPLATES,
  createDto: CreateTicketTemplateDto,
  updateDto: UpdateTicketTemplateDto,
  schema: TICKET_TEMPLATE_SCHEMA,
  bodies: TICKET_TEMPLATE_BODIES,
  label: ['ticket template', 'ticket templates'],
  notes: {
    create:
      'Refs (`inbox`, `status`, `priority`, `type`, `source`, `agent`, `tags`) must be active rows of the tenant, and ' +
      '`customfields` values must fit their field; otherwise a 400 names the field path (e.g. `inbox.id`, `customfields[1].value`).',
    update: 'Only the given refs are checked; null clears a ref.',
  },
}) {}
