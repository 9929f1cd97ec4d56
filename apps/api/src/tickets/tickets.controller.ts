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
import {
  ApiDeskErrors,
  ApiIfMatch,
  ApiIfNoneMatch,
  ApiListQuery,
  DeskBody,
  ETAG_RESPONSE_HEADERS,
  ExpectedVersions,
  IdParam,
  Idempotent,
  IfMatch,
  ListQuery,
} from '@app/common';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { Principal } from '../auth/principal';
import { PageQuery, RespondOne, RespondPage, RespondRead } from '../http/resource.decorators';
import { TicketBodyDto } from './dto/ticket-body.dto';
import { UpdateTicketDto } from './dto/update-ticket.dto';
import { TICKET_LIST } from './ticket-list.definition';
import { TICKET_BODY_SCHEMA, TICKET_ENVELOPE_SCHEMA, TICKETS_LIST_SCHEMA, UPDATE_TICKET_BODY_SCHEMA } from './ticket.openapi';
import { TICKET } from './ticket.resource';
import { TicketsService } from './tickets.service';

// Teamwork Desk v2: /desk/api/v2/tickets…
@ApiTags('tickets')
@ApiBearerAuth()
@ApiBasicAuth()
@Controller('desk/api/v2')
export class TicketsController {
  constructor(private readonly tickets: TicketsService) {}

  @Post('tickets.json')
  @Idempotent()
  @ApiOperation({ summary: 'Create a ticket (Teamwork Desk API v2 body): with its opening message, tags, custom fields and emails, all or nothing' })
  @ApiBody({ schema: TICKET_BODY_SCHEMA })
  @ApiCreatedResponse({ schema: TICKET_ENVELOPE_SCHEMA, headers: ETAG_RESPONSE_HEADERS })
  @ApiDeskErrors()
  @RespondOne(TICKET)
  create(@CurrentPrincipal() principal: Principal, @DeskBody(TicketBodyDto, 'ticket') body: TicketBodyDto) {
    return this.tickets.create(principal, body);
  }

  @Get('tickets.json')
  @ApiOperation({ summary: 'List tickets' })
  @ApiListQuery(TICKET_LIST)
  @ApiOkResponse({ schema: TICKETS_LIST_SCHEMA })
  @ApiDeskErrors()
  @RespondPage(TICKET, TICKET_LIST)
  list(@CurrentPrincipal() principal: Principal, @PageQuery() list: ListQuery) {
    return this.tickets.list(principal, list);
  }

  @Get('tickets/:id.json')
  @ApiOperation({ summary: 'Get a ticket (deleted ones too)' })
  @ApiQuery({ name: 'fields', required: false, description: 'Comma list of ticket fields' })
  @ApiQuery({ name: 'includes', required: false, description: TICKET_LIST.includes.join(', ') })
  @ApiOkResponse({ schema: TICKET_ENVELOPE_SCHEMA, headers: ETAG_RESPONSE_HEADERS })
  @ApiIfNoneMatch()
  @ApiDeskErrors('notFound')
  @RespondRead(TICKET)
  get(@CurrentPrincipal() principal: Principal, @IdParam() id: number) {
    return this.tickets.getById(principal, id);
  }

  @Patch('tickets/:id.json')
  @ApiOperation({ summary: 'Update a ticket: status, priority, agent, tags, custom fields…; omitted properties are unchanged' })
  @ApiBody({ schema: UPDATE_TICKET_BODY_SCHEMA })
  @ApiOkResponse({ schema: TICKET_ENVELOPE_SCHEMA, headers: ETAG_RESPONSE_HEADERS })
  @ApiIfMatch()
  @ApiDeskErrors('notFound', 'conflict')
  @RespondOne(TICKET)
  update(
    @CurrentPrincipal() principal: Principal,
    @IdParam() id: number,
    @DeskBody(UpdateTicketDto, 'ticket') body: UpdateTicketDto,
    @IfMatch() expected: ExpectedVersions | undefined,
  ) {
    return this.tickets.update(principal, id, body, expected);
  }

  @Delete('tickets/:id.json')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a ticket (soft: state becomes "deleted")' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiDeskErrors('notFound')
  async remove(@CurrentPrincipal() principal: Principal, @IdParam() id: number): Promise<void> {
    await this.tickets.remove(principal, id);
  }
}
