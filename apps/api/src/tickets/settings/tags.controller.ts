import { Controller } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { CreateTagDto, UpdateTagDto } from './dto/tag.dto';
import { settingController } from './ticket-settings.controller-factory';
import { TAGS } from './ticket-settings.definitions';
import { TAG_BODIES, TAG_SCHEMA } from './ticket-settings.openapi';

// Teamwork Desk v2: /desk/api/v2/tags.json and /desk/api/v2/tags/{id}.json.
@ApiTags('tags')
@Controller('desk/api/v2')
export class TagsController extends settingController({
  definition: TAGS,
  createDto: CreateTagDto,
  updateDto: UpdateTagDto,
  schema: TAG_SCHEMA,
  bodies: TAG_BODIES,
  label: ['tag', 'tags'],
}) {}
