import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBasicAuth, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiDeskErrors, ApiListQuery, IdParam, Idempotent, ListQuery } from '@app/common';
import { AdminOnly } from '../auth/admin-only.decorator';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { Principal } from '../auth/principal';
import { PageQuery, RespondOne, RespondPage } from '../http/resource.decorators';
import { WEBHOOK_DELIVERY_LIST } from './webhook-list.definition';
import { WEBHOOK_DELIVERIES_LIST_SCHEMA, WEBHOOK_DELIVERY_ENVELOPE_SCHEMA } from './webhook.openapi';
import { WEBHOOK_DELIVERY } from './webhook.resource';
import { WEBHOOKS_ADMIN_REFUSAL } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

const QUEUED = 'Queued: the dispatcher sends it shortly; follow it in the deliveries list.';

// A subscription's deliveries: its log, a redelivery, a ping.
@ApiTags('webhooks')
@ApiBearerAuth()
@ApiBasicAuth()
@Controller('desk/api/v2/webhooks/:id')
export class WebhookDeliveriesController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get('deliveries.json')
  @AdminOnly(WEBHOOKS_ADMIN_REFUSAL)
  @ApiOperation({ summary: "List a webhook subscription's deliveries, newest first (admins only)" })
  @ApiListQuery(WEBHOOK_DELIVERY_LIST)
  @ApiOkResponse({ schema: WEBHOOK_DELIVERIES_LIST_SCHEMA })
  @ApiDeskErrors('notFound')
  @RespondPage(WEBHOOK_DELIVERY, WEBHOOK_DELIVERY_LIST)
  list(@CurrentPrincipal() principal: Principal, @IdParam() id: number, @PageQuery() list: ListQuery) {
    return this.webhooks.listDeliveries(principal, id, list);
  }

  @Post('deliveries/:deliveryId/redeliver.json')
  @AdminOnly(WEBHOOKS_ADMIN_REFUSAL)
  @Idempotent()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Deliver again (admins only)',
    description: `A new delivery of the same body with the same webhook-id, sent on its own. ${QUEUED}`,
  })
  @ApiAcceptedResponse({ schema: WEBHOOK_DELIVERY_ENVELOPE_SCHEMA })
  @ApiDeskErrors('notFound', 'conflict')
  @RespondOne(WEBHOOK_DELIVERY)
  redeliver(@CurrentPrincipal() principal: Principal, @IdParam() id: number, @IdParam('deliveryId') deliveryId: number) {
    return this.webhooks.redeliver(principal, id, deliveryId);
  }

  @Post('test.json')
  @AdminOnly(WEBHOOKS_ADMIN_REFUSAL)
  @Idempotent()
  @HttpCode(202)
  @ApiOperation({ summary: 'Send a ping, event "webhook.test" (admins only)', description: QUEUED })
  @ApiAcceptedResponse({ schema: WEBHOOK_DELIVERY_ENVELOPE_SCHEMA })
  @ApiDeskErrors('notFound', 'conflict')
  @RespondOne(WEBHOOK_DELIVERY)
  test(@CurrentPrincipal() principal: Principal, @IdParam() id: number) {
    return this.webhooks.test(principal, id);
  }
}
