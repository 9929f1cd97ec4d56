import { Body, Controller, Headers, Post, Res } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiBadRequestResponse, ApiBody, ApiConsumes, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { DESK_ERRORS_SCHEMA, UnsupportedMediaTypeError } from '@app/common';
import type { FastifyReply } from 'fastify';
import { Public } from '../../auth/public.decorator';
import { presentTicket, presentTicketMessage } from '../../tickets/tickets.presenter';
import { INBOUND_EMAIL_ROUTE } from './inbound-email-body';
import { INBOUND_EMAIL_RESULT_SCHEMA } from './inbound-email.openapi';
import { InboundEmailService } from './inbound-email.service';

// POST /desk/api/v2/inbound/email.json: where an MTA or a mail provider's inbound hook posts a
// customer's mail as it arrived (docs/api.md, "Inbound email").
@ApiTags('inbound email')
@Controller('desk/api/v2')
export class InboundEmailController {
  constructor(private readonly inbound: InboundEmailService) {}

  @Post('inbound/email.json')
  @Public()
  @RouteConfig(INBOUND_EMAIL_ROUTE)
  @ApiOperation({
    summary: "A customer's email, as raw MIME: a reply on its ticket, or a new ticket in the inbox",
    description:
      "Authorised by the inbox's inbound secret (POST inboxes/{id}/inboundsecret.json). A reply is matched by In-Reply-To/References, " +
      'else by a reply address `…+t{ticketId}@…` from the ticket’s own customer. A Message-ID already stored is answered 200 with where it went, stored once.',
    security: [{ bearer: [] }],
  })
  @ApiHeader({ name: 'Authorization', required: true, description: 'Bearer hdi_…: the inbox’s inbound secret' })
  @ApiConsumes('message/rfc822', 'text/plain')
  @ApiBody({ schema: { type: 'string', format: 'binary', description: 'The message as received (RFC 5322), at most FILES_MAX_BYTES' } })
  @ApiCreatedResponse({ description: 'Stored: the ticket it went to and its thread message', schema: INBOUND_EMAIL_RESULT_SCHEMA })
  @ApiOkResponse({ description: 'A repeated delivery of a Message-ID: where it was stored the first time', schema: INBOUND_EMAIL_RESULT_SCHEMA })
  @ApiBadRequestResponse({ description: 'Not a MIME message with a From address', schema: DESK_ERRORS_SCHEMA })
  @ApiUnauthorizedResponse({ description: 'No inbound secret, or not the current one of an active inbox', schema: DESK_ERRORS_SCHEMA })
  async receive(@Headers('authorization') authorization: string | undefined, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const inbox = await this.inbound.authenticate(authorization);
    if (!Buffer.isBuffer(body)) throw new UnsupportedMediaTypeError('UNSUPPORTED_MEDIA_TYPE', 'send the message as message/rfc822 (or text/plain)');
    const result = await this.inbound.receive(inbox, body);
    const { ticket, message } = await this.inbound.read(result);
    void reply.status(result.stored ? 201 : 200);
    return { ticket: presentTicket(ticket), message: presentTicketMessage(message) };
  }
}
