import { Controller } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CreateCustomFieldDto, UpdateCustomFieldDto } from './dto/custom-field.dto';
import { settingController } from './ticket-settings.controller-factory';
import { CUSTOM_FIELDS } from './ticket-settings.definitions';
import { CUSTOM_FIELD_BODIES, CUSTOM_FIELD_SCHEMA } from './ticket-settings.openapi';

// Teamwork Desk v2: /desk/api/v2/customfields.json and /desk/api/v2/customfields/{id}.json.
@ApiTags('customfields')
@Controller('desk/api/v2')
export class CustomFieldsController extends settingController({
  definition: CUSTOM_FIELDS,
  createDto: CreateCustomFieldDto,
  updateDto: UpdateCustomFieldDto,
  schema: CUSTOM_FIELD_SCHEMA,
  bodies: CUSTOM_FIELD_BODIES,
  label: ['custom field', 'custom fields'],
  notes: {
    create: '`options` are required (and unique) for dropdown and multiselect fields, and must be empty for the others.',
    update: '`type` cannot be changed (400). New `options` replace the old ones.',
  },
}) {}
