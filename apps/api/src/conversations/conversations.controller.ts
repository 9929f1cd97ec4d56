import { Controller, Delete, Get, Headers, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import {
  ApiBasicAuth,
  ApiBearerAuth,
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
  entityTag,
  ETAG_RESPONSE_HEADERS,
  ExpectedVersions,
  IdParam,
  Idempotent,
  IfMatch,
  isNotModified,
  ListQuery,
  PageMeta,
  parseListQuery,
  pickFields,
  representationVersion,
} from '@app/common';
import type { FastifyReply } from 'fastify';
import { AppConfig } from '@app/config';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { Principal } from '../auth/principal';
import { Public } from '../auth/public.decorator';
import { CUSTOMER_CONVERSATION_ENVELOPE_SCHEMA } from '../customer-view/customer-view.openapi';
import { presentCustomerConversation } from '../customer-view/customer-view.presenter';
import { CONVERSATION_LIST, CUSTOMER_CONVERSATION_VIEW } from './conversation-list.definition';
import { CONVERSATION_ENVELOPE_SCHEMA, CONVERSATIONS_LIST_SCHEMA } from './conversation.openapi';
import { conversationVersion, presentConversation } from './conversation.presenter';
import { ConversationsService, ConversationView } from './conversations.service';
import { CreateConversationDto } from './dto/create-conversation.dto';
import { IssueTokenDto } from './dto/issue-token.dto';
import { UpdateConversationDto } from './dto/update-conversation.dto';

type Query = Record<string, unknown>;

// Teamwork Desk v2: /desk/api/v2/conversations…
@ApiTags('conversations')
@ApiBearerAuth()
@ApiBasicAuth()
@Controller('desk/api/v2')
export class ConversationsController {
  constructor(
    private readonly conversations: ConversationsService,
    private readonly config: AppConfig,
  ) {}

  @Post('conversations.json')
  @Idempotent()
  @ApiOperation({ summary: 'Create a conversation' })
  @ApiCreatedResponse({ schema: CONVERSATION_ENVELOPE_SCHEMA, headers: ETAG_RESPONSE_HEADERS })
  @ApiDeskErrors()
  async create(
    @CurrentPrincipal() principal: Principal,
    @DeskBody(CreateConversationDto, 'conversation') body: CreateConversationDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return { conversation: presentConversation(tagged(reply, await this.conversations.create(principal, body))) };
  }

  @Get('conversations.json')
  @ApiOperation({ summary: 'List conversations' })
  @ApiListQuery(CONVERSATION_LIST)
  @ApiOkResponse({ schema: CONVERSATIONS_LIST_SCHEMA })
  @ApiDeskErrors()
  async list(@CurrentPrincipal() principal: Principal, @Query() query: Query) {
    const list = parseListQuery(query, CONVERSATION_LIST, this.config);
    return this.page(principal.tenantId, list, await this.conversations.list(principal, list));
  }

  @Get('customers/:id/conversations.json')
  @ApiOperation({ summary: "A customer's conversations: those with any of its contacts" })
  @ApiListQuery(CONVERSATION_LIST)
  @ApiOkResponse({ schema: CONVERSATIONS_LIST_SCHEMA })
  @ApiDeskErrors('notFound')
  async listOfCustomer(@CurrentPrincipal() principal: Principal, @IdParam() id: number, @Query() query: Query) {
    const list = parseListQuery(query, CONVERSATION_LIST, this.config);
    return this.page(principal.tenantId, list, await this.conversations.listOfCustomer(principal, id, list));
  }

  @Post('conversations/token.json')
  @Idempotent()
  @ApiOperation({
    summary: 'Generate a new token for a conversation',
    description: 'With id: a fresh token for that conversation. Without: a new conversation with its token. Shown once.',
  })
  @ApiCreatedResponse({ schema: CONVERSATION_ENVELOPE_SCHEMA, headers: ETAG_RESPONSE_HEADERS })
  @ApiDeskErrors('notFound')
  async issueToken(
    @CurrentPrincipal() principal: Principal,
    @DeskBody(IssueTokenDto, 'conversation') body: IssueTokenDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { view, token } = await this.conversations.issueToken(principal, body);
    return { conversation: presentConversation(tagged(reply, view), { token }) };
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
  async getByToken(@Param('token') token: string, @Query() query: Query, @Res({ passthrough: true }) reply: FastifyReply) {
    const { fields, includes } = parseListQuery(pickView(query), CUSTOMER_CONVERSATION_VIEW, this.config);
    const view = await this.conversations.getByToken(token);
    // The tag of what the customer sees: it moves with nothing an agent alone sees.
    const whole = presentCustomerConversation(view);
    void reply.header('ETag', entityTag(representationVersion(whole)));
    const conversation = pickFields(whole, fields);
    if (includes.size === 0) return { conversation };
    return { conversation, included: await this.conversations.includedForCustomer(view, includes) };
  }

  @Get('conversations/:id.json')
  @ApiOperation({ summary: 'Get a conversation' })
  @ApiOkResponse({ schema: CONVERSATION_ENVELOPE_SCHEMA, headers: ETAG_RESPONSE_HEADERS })
  @ApiIfNoneMatch()
  @ApiDeskErrors('notFound')
  async get(
    @CurrentPrincipal() principal: Principal,
    @IdParam() id: number,
    @Query() query: Query,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { fields, includes } = parseListQuery(pickView(query), CONVERSATION_LIST, this.config);
    const view = await this.conversations.getById(principal, id);
    const version = conversationVersion(view);
    void reply.header('ETag', entityTag(version));
    // Side-loads change on their own, so only a response without them can be not modified.
    if (includes.size === 0 && isNotModified(ifNoneMatch, version)) return void reply.status(304);
    return this.single(principal.tenantId, view, fields, includes);
  }

  @Patch('conversations/:id.json')
  @ApiOperation({ summary: 'Update a conversation: omitted properties are unchanged' })
  @ApiOkResponse({ schema: CONVERSATION_ENVELOPE_SCHEMA, headers: ETAG_RESPONSE_HEADERS })
  @ApiIfMatch()
  @ApiDeskErrors('notFound')
  async update(
    @CurrentPrincipal() principal: Principal,
    @IdParam() id: number,
    @DeskBody(UpdateConversationDto, 'conversation') body: UpdateConversationDto,
    @IfMatch() expected: ExpectedVersions | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return { conversation: presentConversation(tagged(reply, await this.conversations.update(principal, id, body, expected))) };
  }

  @Delete('conversations/:id.json')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a conversation (soft: state becomes "deleted")' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiDeskErrors('notFound')
  async remove(@CurrentPrincipal() principal: Principal, @IdParam() id: number): Promise<void> {
    await this.conversations.remove(principal, id);
  }

  private async page(tenantId: number, list: ListQuery, { views, meta }: { views: ConversationView[]; meta: PageMeta }) {
    return {
      conversations: views.map((view) => presentConversation(view, { fields: list.fields })),
      included: await this.conversations.included(tenantId, views, list.includes),
      meta: { page: meta },
    };
  }

  private async single(tenantId: number, view: ConversationView, fields: string[] | null, includes: Set<string>) {
    const conversation = presentConversation(view, { fields });
    if (includes.size === 0) return { conversation };
    return { conversation, included: await this.conversations.included(tenantId, [view], includes) };
  }
}

// Shows the conversation's version as the response's ETag.
function tagged(reply: FastifyReply, view: ConversationView): ConversationView {
  void reply.header('ETag', entityTag(conversationVersion(view)));
  return view;
}

// A single resource takes only `fields` and `includes` of the list parameters.
function pickView(query: Query): Query {
  return { fields: query.fields, includes: query.includes };
}
