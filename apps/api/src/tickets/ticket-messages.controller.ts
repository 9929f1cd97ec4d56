import { Controller, Get, Post } from '@nestjs/common';
import { ApiBasicAuth, ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiDeskErrors, ApiListQuery, DeskBody, IdParam, Idempotent, ListQuery } from '@app/common';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { Principal } from '../auth/principal';
import { PageQuery, RespondOne, RespondPage } from '../http/resource.decorators';
import { CreateTicketMessageDto } from './dto/create-ticket-message.dto';
import { TICKET_MESSAGE_LIST } from './ticket-list.definition';
import { TicketMessagesService } from './ticket-messages.service';
import { CREATE_TICKET_MESSAGE_BODY_SCHEMA, TICKET_MESSAGE_ENVELOPE_SCHEMA, TICKET_MESSAGES_LIST_SCHEMA } from './ticket.openapi';
import { TICKET_MESSAGE } from './ticket.resource';

// Teamwork Desk v2: /desk/api/v2/tickets/{id}/messages.json, a ticket's thread.
@ApiTags('tickets')
@ApiBearerAuth()
@ApiBasicAuth()
@Controller('desk/api/v2')
export class TicketMessagesController {
  constructor(private readonly messages: TicketMessagesService) {}

  @Get('tickets/:id/messages.json')
  @ApiOperation({ summary: "A ticket's thread: replies and notes, in the order written" })
  @ApiListQuery(TICKET_MESSAGE_LIST)
  @ApiOkResponse({ schema: TICKET_MESSAGES_LIST_SCHEMA })
  @ApiDeskErrors('notFound')
  @RespondPage(TICKET_MESSAGE, TICKET_MESSAGE_LIST)
  list(@CurrentPrincipal() principal: Principal, @IdParam() id: number, @PageQuery() list: ListQuery) {
    return this.messages.list(principal, id, list);
  }

  @Post('tickets/:id/messages.json')
  @Idempotent()
  @ApiOperation({ summary: 'Reply to a ticket, or add an internal note (threadType "note")' })
  @ApiBody({ schema: CREATE_TICKET_MESSAGE_BODY_SCHEMA })
  @ApiCreatedResponse({ schema: TICKET_MESSAGE_ENVELOPE_SCHEMA })
  @ApiDeskErrors('notFound', 'conflict')
  @RespondOne(TICKET_MESSAGE)
  create(@CurrentPrincipal() principal: Principal, @IdParam() id: number, @DeskBody(CreateTicketMessageDto, 'message', { envelopeIsAField: true }) body: CreateTicketMessageDto) {
    return this.messages.post(principal, id, body);
  }
}
