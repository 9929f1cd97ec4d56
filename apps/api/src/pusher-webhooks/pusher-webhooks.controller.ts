import { Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiBadRequestResponse, ApiBody, ApiCreatedResponse, ApiHeader, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { DESK_ERRORS_SCHEMA, RAW_BODY_ROUTE } from '@app/common';
import { AppConfig } from '@app/config';
import type { FastifyRequest } from 'fastify';
import { Public } from '../auth/public.decorator';
import { presentMessage } from '../conversations/messages/message.presenter';
import { PusherWebhookGuard } from './pusher-webhook.guard';
import { readWebhookBatch } from './pusher-events';
import { PusherWebhooksService } from './pusher-webhooks.service';
import { WEBHOOK_BODY_SCHEMA, WEBHOOK_RESULT_SCHEMA } from './webhook.openapi';

// Teamwork Desk v2: POST /desk/api/v2/conversationmessages/webhooks.json, where Pusher posts the
// widget's events (Teamwork Desk API v2's documentation of the Pusher webhook endpoint: "used by
// pusher to send bulk events … not a public endpoint").
@ApiTags('pusher')
@Controller('desk/api/v2')
export class PusherWebhooksController {
  constructor(
    private readonly webhooks: PusherWebhooksService,
    private readonly config: AppConfig,
  ) {}

  @Post('conversationmessages/webhooks.json')
  @Public()
  @UseGuards(PusherWebhookGuard)
  @RouteConfig(RAW_BODY_ROUTE)
  @HttpCode(201)
  @ApiOperation({
    summary: "Pusher's batch webhook (not a public endpoint)",
    description:
      'Signed by Pusher: X-Pusher-Signature is the hex HMAC-SHA256 of the raw body with the secret of X-Pusher-Key. ' +
      'Every event is stored once; client-message events become conversation messages. Unknown events are acknowledged.',
    security: [],
  })
  @ApiHeader({ name: 'X-Pusher-Key', required: true })
  @ApiHeader({ name: 'X-Pusher-Signature', required: true })
  @ApiBody({ schema: WEBHOOK_BODY_SCHEMA })
  @ApiCreatedResponse({ schema: WEBHOOK_RESULT_SCHEMA })
  @ApiBadRequestResponse({ description: 'The signed body is not JSON of a Pusher batch', schema: DESK_ERRORS_SCHEMA })
  @ApiUnauthorizedResponse({ description: 'Missing or wrong key or signature', schema: DESK_ERRORS_SCHEMA })
  async receive(@Req() request: FastifyRequest) {
    const batch = readWebhookBatch(request.rawBody, {
      now: Date.now(),
      maxAgeMs: this.config.PUSHER_WEBHOOK_MAX_AGE_SECONDS * 1000,
    });
    const { messages, meta } = await this.webhooks.receive(batch);
    const conversationmessages = messages.map((message) => presentMessage(message));
    return {
      conversationmessages,
      ...(conversationmessages.length === 1 ? { conversationmessage: conversationmessages[0] } : {}),
      meta,
    };
  }
}
