import { Controller, Delete, Get, Headers, HttpCode, Patch, Post, Query, Res } from '@nestjs/common';
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
  entityTag,
  ETAG_RESPONSE_HEADERS,
  ExpectedVersions,
  IdParam,
  Idempotent,
  IfMatch,
  isNotModified,
  parseListQuery,
} from '@app/common';
import type { FastifyReply } from 'fastify';
import { AppConfig } from '@app/config';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { Principal } from '../auth/principal';
import { TicketBodyDto } from './dto/ticket-body.dto';
import { UpdateTicketDto } from './dto/update-ticket.dto';
import { TicketIncludes } from './ticket-includes';
import { TICKET_LIST } from './ticket-list.definition';
import { TICKET_BODY_SCHEMA, TICKET_ENVELOPE_SCHEMA, TICKETS_LIST_SCHEMA, UPDATE_TICKET_BODY_SCHEMA } from './ticket.openapi';
import { presentTicket, ticketVersion } from './tickets.presenter';
import { TicketsService, TicketView } from './tickets.service';

type Query = Record<string, unknown>;

// Teamwork Desk v2: /desk/api/v2/tickets…
@ApiTags('tickets')
@ApiBearerAuth()
@ApiBasicAuth()
@Controller('desk/api/v2')
export class TicketsController {
  constructor(
    private readonly tickets: TicketsService,
    private readonly includes: TicketIncludes,
    private readonly config: AppConfig,
  ) {}

  @Post('tickets.json')
  @Idempotent()
  @ApiOperation({ summary: 'Create a ticket (Teamwork Desk API v2 body): with its opening message, tags, custom fields and emails, all or nothing' })
  @ApiBody({ schema: TICKET_BODY_SCHEMA })
  @ApiCreatedResponse({ schema: TICKET_ENVELOPE_SCHEMA, headers: ETAG_RESPONSE_HEADERS })
  @ApiDeskErrors()
  async create(
    @CurrentPrincipal() principal: Principal,
    @DeskBody(TicketBodyDto, 'ticket') body: TicketBodyDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return { ticket: presentTicket(tagged(reply, await this.tickets.create(principal, body))) };
  }

  @Get('tickets.json')
  @ApiOperation({ summary: 'List tickets' })
  @ApiListQuery(TICKET_LIST)
  @ApiOkResponse({ schema: TICKETS_LIST_SCHEMA })
  @ApiDeskErrors()
  async list(@CurrentPrincipal() principal: Principal, @Query() query: Query) {
    const list = parseListQuery(query, TICKET_LIST, this.config);
    const { views, meta } = await this.tickets.list(principal, list);
    return {
      tickets: views.map((view) => presentTicket(view, list.fields)),
      included: await this.includes.forTickets(principal.tenantId, views, list.includes),
      meta: { page: meta },
    };
  }

  @Get('tickets/:id.json')
  @ApiOperation({ summary: 'Get a ticket (deleted ones too)' })
  @ApiQuery({ name: 'fields', required: false, description: 'Comma list of ticket fields' })
  @ApiQuery({ name: 'includes', required: false, description: TICKET_LIST.includes.join(', ') })
  @ApiOkResponse({ schema: TICKET_ENVELOPE_SCHEMA, headers: ETAG_RESPONSE_HEADERS })
  @ApiIfNoneMatch()
  @ApiDeskErrors('notFound')
  async get(
    @CurrentPrincipal() principal: Principal,
    @IdParam() id: number,
    @Query() query: Query,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    // A single resource takes only `fields` and `includes` of the list parameters.
    const { fields, includes } = parseListQuery({ fields: query.fields, includes: query.includes }, TICKET_LIST, this.config);
    const view = await this.tickets.getById(principal, id);
    const version = ticketVersion(view);
    void reply.header('ETag', entityTag(version));
    // Side-loads change on their own, so only a response without them can be not modified.
    if (includes.size === 0 && isNotModified(ifNoneMatch, version)) return void reply.status(304);
    const ticket = presentTicket(view, fields);
    if (includes.size === 0) return { ticket };
    return { ticket, included: await this.includes.forTickets(principal.tenantId, [view], includes) };
  }

  @Patch('tickets/:id.json')
  @ApiOperation({ summary: 'Update a ticket: status, priority, agent, tags, custom fields…; omitted properties are unchanged' })
  @ApiBody({ schema: UPDATE_TICKET_BODY_SCHEMA })
  @ApiOkResponse({ schema: TICKET_ENVELOPE_SCHEMA, headers: ETAG_RESPONSE_HEADERS })
  @ApiIfMatch()
  @ApiDeskErrors('notFound', 'conflict')
  async update(
    @CurrentPrincipal() principal: Principal,
    @IdParam() id: number,
    @DeskBody(UpdateTicketDto, 'ticket') body: UpdateTicketDto,
    @IfMatch() expected: ExpectedVersions | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return { ticket: presentTicket(tagged(reply, await this.tickets.update(principal, id, body, expected))) };
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

// Shows the ticket's version as the response's ETag.
function tagged(reply: FastifyReply, view: TicketView): TicketView {
  void reply.header('ETag', entityTag(ticketVersion(view)));
  return view;
}
