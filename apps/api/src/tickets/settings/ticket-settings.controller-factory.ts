import { Delete, Get, HttpCode, Inject, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBasicAuth,
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
} from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { ApiDeskErrors, ApiListQuery, DeskBody, IdParam, Idempotent, parseListQuery, pickFields } from '@app/common';
import { AppConfig } from '@app/config';
import { AdminOnly } from '../../auth/admin-only.decorator';
import { CurrentPrincipal } from '../../auth/current-principal.decorator';
import { Principal } from '../../auth/principal';
import { NamedRow, SettingDefinition } from './ticket-settings.definitions';
import { bodySchema, envelopeSchema, listSchema } from './ticket-settings.openapi';
import { TicketSettingsService } from './ticket-settings.service';

type Query = Record<string, unknown>;

export interface SettingControllerOptions<E extends NamedRow, I extends object> {
  definition: SettingDefinition<E, I>;
  createDto: new () => I;
  updateDto: new () => I;
  schema: SchemaObject;
  bodies: { create: SchemaObject; update: SchemaObject };
  // How summaries name one and many: ['inbox', 'inboxes'].
  label: readonly [string, string];
  // What the operations' descriptions add for this kind.
  notes?: { create?: string; update?: string; remove?: string };
}

const ADMIN_REFUSAL = 'only an admin may change ticket settings';

const withArticle = (noun: string) => `${/^[aeiou]/i.test(noun) ? 'an' : 'a'} ${noun}`;

// The five Desk endpoints of one settings kind under /desk/api/v2/<kind>…: every agent reads,
// admins write. Each kind's controller file extends this with its @Controller and @ApiTags.
export function settingController<E extends NamedRow, I extends object>(options: SettingControllerOptions<E, I>) {
  const { definition: def, createDto, updateDto, notes = {} } = options;
  const [singular, many] = options.label;
  const one = withArticle(singular);
  const collection = `${def.kind}.json`;
  const member = `${def.kind}/:id.json`;
  const envelope = envelopeSchema(def.singular, options.schema);
  const present = (row: E, fields: readonly string[] | null = null) => pickFields(def.present(row), fields);

  @ApiBearerAuth()
  @ApiBasicAuth()
  class SettingController {
    constructor(
      @Inject(TicketSettingsService) readonly settings: TicketSettingsService,
      @Inject(AppConfig) readonly config: AppConfig,
    ) {}

    @Get(collection)
    @ApiOperation({ summary: `List ${many}`, description: 'Deleted ones only when the filter names `state`.' })
    @ApiListQuery(def.list)
    @ApiOkResponse({ schema: listSchema(def.kind, options.schema) })
    @ApiDeskErrors()
    async list(@CurrentPrincipal() principal: Principal, @Query() query: Query) {
      const list = parseListQuery(query, def.list, this.config);
      const { rows, meta } = await this.settings.list(def, principal.tenantId, list);
      return { [def.kind]: rows.map((row) => present(row, list.fields)), meta: { page: meta } };
    }

    @Get(member)
    @ApiOperation({ summary: `Get ${one} (deleted ones too)` })
    @ApiQuery({ name: 'fields', required: false, description: `Comma list of ${def.list.fields.join(', ')}` })
    @ApiOkResponse({ schema: envelope })
    @ApiDeskErrors('notFound')
    async get(@CurrentPrincipal() principal: Principal, @IdParam() id: number, @Query() query: Query) {
      // A single object takes only `fields` of the list parameters.
      const { fields } = parseListQuery({ fields: query.fields }, def.list, this.config);
      return { [def.singular]: present(await this.settings.getById(def, principal.tenantId, id), fields) };
    }

    @Post(collection)
    @AdminOnly(ADMIN_REFUSAL)
    @Idempotent()
    @ApiOperation({ summary: `Create ${one} (admins only)`, description: notes.create })
    @ApiBody({ schema: bodySchema(def.singular, options.bodies.create) })
    @ApiCreatedResponse({ schema: envelope })
    @ApiDeskErrors('conflict')
    async create(@CurrentPrincipal() principal: Principal, @DeskBody(createDto, def.singular) body: I) {
      return { [def.singular]: present(await this.settings.create(def, principal, body)) };
    }

    @Patch(member)
    @AdminOnly(ADMIN_REFUSAL)
    @ApiOperation({ summary: `Update ${one} (admins only): omitted properties are unchanged`, description: notes.update })
    @ApiBody({ schema: bodySchema(def.singular, options.bodies.update) })
    @ApiOkResponse({ schema: envelope })
    @ApiDeskErrors('notFound', 'conflict')
    async update(@CurrentPrincipal() principal: Principal, @IdParam() id: number, @DeskBody(updateDto, def.singular) body: I) {
      return { [def.singular]: present(await this.settings.update(def, principal, id, body)) };
    }

    @Delete(member)
    @AdminOnly(ADMIN_REFUSAL)
    @HttpCode(204)
    @ApiOperation({
      summary: `Delete ${one} (admins only; soft: state becomes "deleted", its name is free again)`,
      description: notes.remove,
    })
    @ApiNoContentResponse({ description: 'Deleted, or already deleted' })
    @ApiDeskErrors('notFound', 'conflict')
    async remove(@CurrentPrincipal() principal: Principal, @IdParam() id: number): Promise<void> {
      await this.settings.remove(def, principal, id);
    }
  }
  return SettingController;
}
