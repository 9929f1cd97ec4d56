import { Controller, Get, Post, Query } from '@nestjs/common';
import { ApiBasicAuth, ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiDeskErrors, ApiListQuery, DeskBody, IdParam, Idempotent, parseListQuery } from '@app/common';
import { AppConfig } from '@app/config';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { Principal } from '../auth/principal';
import { CreateTicketMessageDto } from './dto/create-ticket-message.dto';
import { TicketIncludes } from './ticket-includes';
import { TICKET_MESSAGE_LIST } from './ticket-list.definition';
import { TicketMessagesService } from './ticket-messages.service';
import { CREATE_TICKET_MESSAGE_BODY_SCHEMA, TICKET_MESSAGE_ENVELOPE_SCHEMA, TICKET_MESSAGES_LIST_SCHEMA } from './ticket.openapi';
import { presentTicketMessage } from './tickets.presenter';

type Query = Record<string, unknown>;

// Teamwork Desk v2: /desk/api/v2/tickets/{id}/messages.json, a ticket's thread.
@ApiTags('tickets')
@ApiBearerAuth()
@ApiBasicAuth()
@Controller('desk/api/v2')
export class TicketMessagesController {
  constructor(
    private readonly messages: TicketMessagesService,
    private readonly includes: TicketIncludes,
    private readonly config: AppConfig,
  ) {}

  @Get('tickets/:id/messages.json')
  @ApiOperation({ summary: "A ticket's thread: replies and notes, in the order written" })
  @ApiListQuery(TICKET_MESSAGE_LIST)
  @ApiOkResponse({ schema: TICKET_MESSAGES_LIST_SCHEMA })
  @ApiDeskErrors('notFound')
  async list(@CurrentPrincipal() principal: Principal, @IdParam() id: number, @Query() query: Query) {
    const list = parseListQuery(query, TICKET_MESSAGE_LIST, this.config);
    const { messages, meta } = await this.messages.list(principal, id, list);
    return {
      messages: messages.map((message) => presentTicketMessage(message, list.fields)),
      included: await this.includes.forMessages(principal.tenantId, messages, list.includes),
      meta: { page: meta },
    };
  }

  @Post('tickets/:id/messages.json')
  @Idempotent()
  @ApiOperation({ summary: 'Reply to a ticket, or add an internal note (threadType "note")' })
  @ApiBody({ schema: CREATE_TICKET_MESSAGE_BODY_SCHEMA })
  @ApiCreatedResponse({ schema: TICKET_MESSAGE_ENVELOPE_SCHEMA })
  @ApiDeskErrors('notFound', 'conflict')
  async create(@CurrentPrincipal() principal: Principal, @IdParam() id: number, @DeskBody(CreateTicketMessageDto, 'message', { envelopeIsAField: true }) body: CreateTicketMessageDto) {
    return { message: presentTicketMessage(await this.messages.post(principal, id, body)) };
  }
}
