import { Controller, Delete, Get, HttpCode, Patch, Post } from '@nestjs/common';
import {
  ApiBasicAuth,
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { ApiDeskErrors, ApiListQuery, DeskBody, IdParam, Idempotent, ListQuery } from '@app/common';
import { AdminOnly } from '../auth/admin-only.decorator';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { Principal } from '../auth/principal';
import { PageQuery, RespondOne, RespondPage, RespondRead } from '../http/resource.decorators';
import { CreateWebhookDto, UpdateWebhookDto } from './dto/webhook.dto';
import { WEBHOOK_LIST } from './webhook-list.definition';
import { CREATE_WEBHOOK_BODY_SCHEMA, UPDATE_WEBHOOK_BODY_SCHEMA, WEBHOOK_ENVELOPE_SCHEMA, WEBHOOKS_LIST_SCHEMA } from './webhook.openapi';
import { WEBHOOK } from './webhook.resource';
import { WebhooksService } from './webhooks.service';

export const WEBHOOKS_ADMIN_REFUSAL = 'only an admin may manage webhooks';
const SECRET_ONCE =
  'The answer carries the signing secret (`secret`), shown this once: store it where the receiver verifies signatures. ' +
  'A replay by Idempotency-Key answers `secret: null` (it is never stored unsealed).';

// Teamwork Desk v2 style: /desk/api/v2/webhooks.json and /desk/api/v2/webhooks/{id}.json.
@ApiTags('webhooks')
@ApiBearerAuth()
@ApiBasicAuth()
@Controller('desk/api/v2')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get('webhooks.json')
  @AdminOnly(WEBHOOKS_ADMIN_REFUSAL)
  @ApiOperation({ summary: 'List webhook subscriptions (admins only)' })
  @ApiListQuery(WEBHOOK_LIST)
  @ApiOkResponse({ schema: WEBHOOKS_LIST_SCHEMA })
  @ApiDeskErrors()
  @RespondPage(WEBHOOK, WEBHOOK_LIST)
  list(@CurrentPrincipal() principal: Principal, @PageQuery() list: ListQuery) {
    return this.webhooks.list(principal, list);
  }

  @Get('webhooks/:id.json')
  @AdminOnly(WEBHOOKS_ADMIN_REFUSAL)
  @ApiOperation({ summary: 'Get a webhook subscription (admins only); never its secret' })
  @ApiQuery({ name: 'fields', required: false, description: `Comma list of ${WEBHOOK_LIST.fields.join(', ')}` })
  @ApiOkResponse({ schema: WEBHOOK_ENVELOPE_SCHEMA })
  @ApiDeskErrors('notFound')
  @RespondRead(WEBHOOK)
  get(@CurrentPrincipal() principal: Principal, @IdParam() id: number) {
    return this.webhooks.get(principal, id);
  }

  @Post('webhooks.json')
  @AdminOnly(WEBHOOKS_ADMIN_REFUSAL)
  @Idempotent()
  @ApiOperation({ summary: 'Create a webhook subscription (admins only)', description: SECRET_ONCE })
  @ApiBody({ schema: CREATE_WEBHOOK_BODY_SCHEMA })
  @ApiCreatedResponse({ schema: WEBHOOK_ENVELOPE_SCHEMA })
  @ApiDeskErrors()
  @RespondOne(WEBHOOK)
  create(@CurrentPrincipal() principal: Principal, @DeskBody(CreateWebhookDto, 'webhook') body: CreateWebhookDto) {
    return this.webhooks.create(principal, body);
  }

  @Patch('webhooks/:id.json')
  @AdminOnly(WEBHOOKS_ADMIN_REFUSAL)
  @ApiOperation({
    summary: 'Update a webhook subscription (admins only): omitted properties are unchanged',
    description: '`state: "active"` re-enables a disabled one and forgets why it was disabled and since when it failed.',
  })
  @ApiBody({ schema: UPDATE_WEBHOOK_BODY_SCHEMA })
  @ApiOkResponse({ schema: WEBHOOK_ENVELOPE_SCHEMA })
  @ApiDeskErrors('notFound')
  @RespondOne(WEBHOOK)
  update(@CurrentPrincipal() principal: Principal, @IdParam() id: number, @DeskBody(UpdateWebhookDto, 'webhook') body: UpdateWebhookDto) {
    return this.webhooks.update(principal, id, body);
  }

  @Post('webhooks/:id/secret.json')
  @AdminOnly(WEBHOOKS_ADMIN_REFUSAL)
  @Idempotent()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Rotate the signing secret (admins only)',
    description: `${SECRET_ONCE} For 24 hours deliveries carry signatures of both the new and the previous secret.`,
  })
  @ApiOkResponse({ schema: WEBHOOK_ENVELOPE_SCHEMA })
  @ApiDeskErrors('notFound')
  @RespondOne(WEBHOOK)
  rotateSecret(@CurrentPrincipal() principal: Principal, @IdParam() id: number) {
    return this.webhooks.rotateSecret(principal, id);
  }

  @Delete('webhooks/:id.json')
  @AdminOnly(WEBHOOKS_ADMIN_REFUSAL)
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a webhook subscription (admins only)', description: 'Not found afterwards; its pending deliveries fail.' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiDeskErrors('notFound')
  async remove(@CurrentPrincipal() principal: Principal, @IdParam() id: number): Promise<void> {
    await this.webhooks.remove(principal, id);
  }
}
