import { applyDecorators, Delete, Get, HttpCode, Inject, Patch, Post } from '@nestjs/common';
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
import { ApiDeskErrors, ApiListQuery, DeskBody, IdParam, Idempotent, ListQuery, pickFields } from '@app/common';
import { AdminOnly } from '../../auth/admin-only.decorator';
import { CurrentPrincipal } from '../../auth/current-principal.decorator';
import { Principal } from '../../auth/principal';
import { ResourceDefinition } from '../../http/resource';
import { PageQuery, RespondOne, RespondPage, RespondRead } from '../../http/resource.decorators';
import { NamedRow, SettingDefinition } from './ticket-settings.definitions';
import { bodySchema, envelopeSchema, listSchema } from './ticket-settings.openapi';
import { TicketSettingsService } from './ticket-settings.service';

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
  const { definition: def, createDto, updateDto } = options;
  const resource = settingResource(def);
  const routes = settingRoutes(options);

  @ApiBearerAuth()
  @ApiBasicAuth()
  class SettingController {
    constructor(@Inject(TicketSettingsService) readonly settings: TicketSettingsService) {}

    @routes.list
    @RespondPage(resource, def.list)
    list(@CurrentPrincipal() principal: Principal, @PageQuery() list: ListQuery) {
      return this.settings.list(def, principal.tenantId, list);
    }

    @routes.get
    @RespondRead(resource)
    get(@CurrentPrincipal() principal: Principal, @IdParam() id: number) {
      return this.settings.getById(def, principal.tenantId, id);
    }

    @routes.create
    @RespondOne(resource)
    create(@CurrentPrincipal() principal: Principal, @DeskBody(createDto, def.singular) body: I) {
      return this.settings.create(def, principal, body);
    }

    @routes.update
    @RespondOne(resource)
    update(@CurrentPrincipal() principal: Principal, @IdParam() id: number, @DeskBody(updateDto, def.singular) body: I) {
      return this.settings.update(def, principal, id, body);
    }

    @routes.remove
    async remove(@CurrentPrincipal() principal: Principal, @IdParam() id: number): Promise<void> {
      await this.settings.remove(def, principal, id);
    }
  }
  return SettingController;
}

// A setting as its responses show it; a read of one takes only `fields` of the list parameters.
function settingResource<E extends NamedRow, I extends object>(def: SettingDefinition<E, I>): ResourceDefinition<E> {
  return { name: def.singular, plural: def.kind, present: (row, fields) => pickFields(def.present(row), fields), list: def.list };
}

// Each endpoint's route, guard and OpenAPI decorators.
function settingRoutes<E extends NamedRow, I extends object>(options: SettingControllerOptions<E, I>) {
  const { definition: def, notes = {} } = options;
  const [singular, many] = options.label;
  const one = withArticle(singular);
  const collection = `${def.kind}.json`;
  const member = `${def.kind}/:id.json`;
  const envelope = envelopeSchema(def.singular, options.schema);
  return {
    list: stacked(
      Get(collection),
      ApiOperation({ summary: `List ${many}`, description: 'Deleted ones only when the filter names `state`.' }),
      ApiListQuery(def.list),
      ApiOkResponse({ schema: listSchema(def.kind, options.schema) }),
      ApiDeskErrors(),
    ),
    get: stacked(
      Get(member),
      ApiOperation({ summary: `Get ${one} (deleted ones too)` }),
      ApiQuery({ name: 'fields', required: false, description: `Comma list of ${def.list.fields.join(', ')}` }),
      ApiOkResponse({ schema: envelope }),
      ApiDeskErrors('notFound'),
    ),
    create: stacked(
      Post(collection),
      AdminOnly(ADMIN_REFUSAL),
      Idempotent(),
      ApiOperation({ summary: `Create ${one} (admins only)`, description: notes.create }),
      ApiBody({ schema: bodySchema(def.singular, options.bodies.create) }),
      ApiCreatedResponse({ schema: envelope }),
      ApiDeskErrors('conflict'),
    ),
    update: stacked(
      Patch(member),
      AdminOnly(ADMIN_REFUSAL),
      ApiOperation({ summary: `Update ${one} (admins only): omitted properties are unchanged`, description: notes.update }),
      ApiBody({ schema: bodySchema(def.singular, options.bodies.update) }),
      ApiOkResponse({ schema: envelope }),
      ApiDeskErrors('notFound', 'conflict'),
    ),
    remove: stacked(
      Delete(member),
      AdminOnly(ADMIN_REFUSAL),
      HttpCode(204),
      ApiOperation({ summary: `Delete ${one} (admins only; soft: state becomes "deleted", its name is free again)`, description: notes.remove }),
      ApiNoContentResponse({ description: 'Deleted, or already deleted' }),
      ApiDeskErrors('notFound', 'conflict'),
    ),
  };
}

// Decorators as if written one above the other: applied bottom-up.
function stacked(...decorators: (MethodDecorator | ClassDecorator | PropertyDecorator)[]): MethodDecorator {
  return applyDecorators(...decorators.reverse());
}
