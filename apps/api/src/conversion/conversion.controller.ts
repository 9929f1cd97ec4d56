import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBasicAuth, ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiDeskErrors, DeskBody, IdParam, Idempotent } from '@app/common';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { Principal } from '../auth/principal';
import { CONVERSATION_SCHEMA } from '../conversations/conversation.openapi';
import { presentConversation } from '../conversations/conversation.presenter';
import { TicketBodyDto } from '../tickets/dto/ticket-body.dto';
import { TICKET_BODY_SCHEMA } from '../tickets/ticket.openapi';
import { ConversionService } from './conversion.service';

// Teamwork Desk API v2's POST /desk/api/v2/conversations/{id}/convert.json.
@ApiTags('conversations')
@ApiBearerAuth()
@ApiBasicAuth()
@Controller('desk/api/v2')
export class ConversionController {
  constructor(private readonly conversion: ConversionService) {}

  @Post('conversations/:id/convert.json')
  @HttpCode(200)
  @Idempotent()
  @ApiOperation({
    summary: 'Convert a conversation to a ticket, its transcript becoming the thread',
    description:
      'The body is the ticket body of POST /tickets.json; the conversation gives the customer, the Chat source, a subject from its first message and its agent when it has exactly one. Answers the bare Conversation with ticket_id. A second conversion is a 409 naming the ticket.',
  })
  @ApiBody({ schema: TICKET_BODY_SCHEMA })
  @ApiOkResponse({ description: 'The bare Conversation (Teamwork Desk API v2)', schema: CONVERSATION_SCHEMA })
  @ApiDeskErrors('notFound', 'conflict')
  async convert(@CurrentPrincipal() principal: Principal, @IdParam() id: number, @DeskBody(TicketBodyDto, 'ticket') body: TicketBodyDto) {
    return presentConversation(await this.conversion.convert(principal, id, body));
  }
}
