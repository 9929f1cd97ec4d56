import { Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import {
  ApiBasicAuth,
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
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
import { Public } from '../auth/public.decorator';
import { CUSTOMER_CONVERSATION_ENVELOPE_SCHEMA } from '../customer-view/customer-view.openapi';
import { PageQuery, RespondOne, RespondPage, RespondRead } from '../http/resource.decorators';
import { CONVERSATION_LIST, CUSTOMER_CONVERSATION_VIEW } from './conversation-list.definition';
import { CONVERSATION_ENVELOPE_SCHEMA, CONVERSATIONS_LIST_SCHEMA } from './conversation.openapi';
import { CONVERSATION, CUSTOMER_CONVERSATION, ISSUED_CONVERSATION } from './conversation.resource';
import { ConversationsService } from './conversations.service';
import { CreateConversationDto } from './dto/create-conversation.dto';
import { IssueTokenDto } from './dto/issue-token.dto';
import { UpdateConversationDto } from './dto/update-conversation.dto';
import { BulkUpdateConversationsDto, MAX_BULK_IDS } from './bulk/bulk-update.dto';
import { BULK_UPDATE_BODY, BULK_UPDATE_RESPONSE } from './bulk/bulk-update.openapi';
import { presentBulkOutcomes } from './bulk/bulk-update.presenter';
import { BulkUpdateService } from './bulk/bulk-update.service';
import { QUEUE_COUNTS_SCHEMA } from './queues/queue-counts.openapi';
import { presentQueueCounts } from './queues/queue-counts.presenter';
import { QueueCountsService } from './queues/queue-counts.service';

// Teamwork Desk v2: /desk/api/v2/conversations…
@ApiTags('conversations')
@ApiBearerAuth()
@ApiBasicAuth()
@Controller('desk/api/v2')
export class ConversationsController {
  constructor(
    private readonly conversations: ConversationsService,
    private readonly bulk: BulkUpdateService,
    private readonly queueCounts: QueueCountsService,
  ) {}

  @Post('conversations.json')
  @Idempotent()
  @ApiOperation({ summary: 'Create a conversation' })
  @ApiCreatedResponse({ schema: CONVERSATION_ENVELOPE_SCHEMA, headers: ETAG_RESPONSE_HEADERS })
  @ApiDeskErrors()
  @RespondOne(CONVERSATION)
  create(@CurrentPrincipal() principal: Principal, @DeskBody(CreateConversationDto, 'conversation') body: CreateConversationDto) {
    return this.conversations.create(principal, body);
  }

  @Get('conversations.json')
  @ApiOperation({ summary: 'List conversations' })
  @ApiListQuery(CONVERSATION_LIST)
  @ApiOkResponse({ schema: CONVERSATIONS_LIST_SCHEMA })
  @ApiDeskErrors()
  @RespondPage(CONVERSATION, CONVERSATION_LIST)
  list(@CurrentPrincipal() principal: Principal, @PageQuery() list: ListQuery) {
    return this.conversations.list(principal, list);
  }

  @Patch('conversations.json')
  @ApiOperation({
    summary: 'Update many conversations: the same change to each id, each succeeding or failing on its own',
    description: `1 to ${MAX_BULK_IDS} distinct ids. 200 with one result per id, in order: what a PATCH of that id alone would answer.`,
  })
  @ApiBody({ schema: BULK_UPDATE_BODY })
  @ApiOkResponse({ schema: BULK_UPDATE_RESPONSE })
  @ApiDeskErrors()
  async updateMany(@CurrentPrincipal() principal: Principal, @DeskBody(BulkUpdateConversationsDto, null) body: BulkUpdateConversationsDto) {
    return presentBulkOutcomes(await this.bulk.update(principal, body.ids, body.conversation));
  }

  // Before conversations/:id.json, so that `counts` is never read as an id.
  @Get('conversations/counts.json')
  @ApiOperation({ summary: "The caller's queues: conversations per status, theirs, unassigned, per team of theirs" })
  @ApiOkResponse({ schema: QUEUE_COUNTS_SCHEMA })
  @ApiDeskErrors()
  async counts(@CurrentPrincipal() principal: Principal) {
    return presentQueueCounts(await this.queueCounts.countsFor(principal));
  }

  @Get('customers/:id/conversations.json')
  @ApiOperation({ summary: "A customer's conversations: those with any of its contacts" })
  @ApiListQuery(CONVERSATION_LIST)
  @ApiOkResponse({ schema: CONVERSATIONS_LIST_SCHEMA })
  @ApiDeskErrors('notFound')
  @RespondPage(CONVERSATION, CONVERSATION_LIST)
  listOfCustomer(@CurrentPrincipal() principal: Principal, @IdParam() id: number, @PageQuery() list: ListQuery) {
    return this.conversations.listOfCustomer(principal, id, list);
  }

  @Post('conversations/token.json')
  @Idempotent()
  @ApiOperation({
    summary: 'Generate a new token for a conversation',
    description: 'With id: a fresh token for that conversation. Without: a new conversation with its token. Shown once.',
  })
  @ApiCreatedResponse({ schema: CONVERSATION_ENVELOPE_SCHEMA, headers: ETAG_RESPONSE_HEADERS })
  @ApiDeskErrors('notFound')
  @RespondOne(ISSUED_CONVERSATION)
  issueToken(@CurrentPrincipal() principal: Principal, @DeskBody(IssueTokenDto, 'conversation') body: IssueTokenDto) {
    return this.conversations.issueToken(principal, body);
  }

  @Public()
  @Get('conversations/token/:token.json')
  @ApiOperation({
    summary: "The conversation of a widget's token (public: the token is the credential)",
    description: `The customer's view, never the agents'. fields: ${CUSTOMER_CONVERSATION_VIEW.fields.join(', ')}; includes: ${CUSTOMER_CONVERSATION_VIEW.includes.join(', ')}, all.`,
    security: [],
  })
  @ApiOkResponse({ schema: CUSTOMER_CONVERSATION_ENVELOPE_SCHEMA, headers: ETAG_RESPONSE_HEADERS })
  @ApiDeskErrors('notFound')
  // The customer's view, tagged with what the customer sees; it has never answered 304.
  @RespondRead(CUSTOMER_CONVERSATION, { conditional: false })
  getByToken(@Param('token') token: string) {
    return this.conversations.getByToken(token);
  }

  @Get('conversations/:id.json')
  @ApiOperation({ summary: 'Get a conversation' })
  @ApiOkResponse({ schema: CONVERSATION_ENVELOPE_SCHEMA, headers: ETAG_RESPONSE_HEADERS })
  @ApiIfNoneMatch()
  @ApiDeskErrors('notFound')
  @RespondRead(CONVERSATION)
  get(@CurrentPrincipal() principal: Principal, @IdParam() id: number) {
    return this.conversations.getById(principal, id);
  }

  @Patch('conversations/:id.json')
  @ApiOperation({ summary: 'Update a conversation: omitted properties are unchanged' })
  @ApiOkResponse({ schema: CONVERSATION_ENVELOPE_SCHEMA, headers: ETAG_RESPONSE_HEADERS })
  @ApiIfMatch()
  @ApiDeskErrors('notFound')
  @RespondOne(CONVERSATION)
  update(
    @CurrentPrincipal() principal: Principal,
    @IdParam() id: number,
    @DeskBody(UpdateConversationDto, 'conversation') body: UpdateConversationDto,
    @IfMatch() expected: ExpectedVersions | undefined,
  ) {
    return this.conversations.update(principal, id, body, expected);
  }

  @Delete('conversations/:id.json')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a conversation (soft: state becomes "deleted")' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiDeskErrors('notFound')
  async remove(@CurrentPrincipal() principal: Principal, @IdParam() id: number): Promise<void> {
    await this.conversations.remove(principal, id);
  }
}
