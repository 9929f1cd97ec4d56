import { Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
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
import { ApiDeskErrors, ApiListQuery, DeskBody, IdParam, Idempotent, ListQuery, ListSpec, parseListQuery } from '@app/common';
import { AppConfig } from '@app/config';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal } from '../../auth/current-principal.decorator';
import { Principal } from '../../auth/principal';
import { Public } from '../../auth/public.decorator';
import { ConversationsService } from '../conversations.service';
import { CUSTOMER_MESSAGES_LIST_SCHEMA } from '../../customer-view/customer-view.openapi';
import { presentCustomerMessage } from '../../customer-view/customer-view.presenter';
import { IncludedLoader } from '../../includes/included-loader';
import { ConversationMessage } from './conversation-message.entity';
import { CreateMessageDto } from './dto/create-message.dto';
import { UpdateMessageDto } from './dto/update-message.dto';
import { CONVERSATION_MESSAGE_LIST, HISTORY_LIST, MESSAGE_LIST } from './message-list.definition';
import {
  CREATE_MESSAGE_BODY_SCHEMA,
  MESSAGE_ENVELOPE_SCHEMA,
  MESSAGES_LIST_SCHEMA,
  UPDATE_MESSAGE_BODY_SCHEMA,
} from './message.openapi';
import { presentMessage } from './message.presenter';
import { MessagesService } from './messages.service';

type Query = Record<string, unknown>;

// Teamwork Desk v2: /desk/api/v2/conversationmessages…, /conversations/{id}/messages.json, and the
// widget's public history by token.
@ApiTags('conversation messages')
@ApiBearerAuth()
@ApiBasicAuth()
@Controller('desk/api/v2')
export class MessagesController {
  constructor(
    private readonly messages: MessagesService,
    private readonly conversations: ConversationsService,
    private readonly included: IncludedLoader,
    private readonly config: AppConfig,
  ) {}

  @Post('conversationmessages.json')
  @Idempotent()
  @ApiOperation({
    summary: 'Add a message to a conversation',
    description:
      '201 when stored; 200 with the stored message when its clientMessageId was already posted on the same side of that ' +
      'conversation (the customer’s or the agents’) with the same author, text and files; 409 CLIENT_MESSAGE_ID_REUSED, ' +
      'nothing written, when it names another message there.',
  })
  @ApiBody({ schema: CREATE_MESSAGE_BODY_SCHEMA })
  @ApiCreatedResponse({ schema: MESSAGE_ENVELOPE_SCHEMA })
  @ApiOkResponse({ description: 'A repeat of a clientMessageId: the first message', schema: MESSAGE_ENVELOPE_SCHEMA })
  @ApiDeskErrors()
  async create(
    @CurrentPrincipal() principal: Principal,
    @DeskBody(CreateMessageDto, 'conversationmessage') body: CreateMessageDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { message, created } = await this.messages.post(principal, body);
    if (!created) void reply.status(200);
    return { conversationmessage: presentMessage(message) };
  }

  @Get('conversationmessages.json')
  @ApiOperation({ summary: 'List conversation messages' })
  @ApiListQuery(MESSAGE_LIST)
  @ApiOkResponse({ schema: MESSAGES_LIST_SCHEMA })
  @ApiDeskErrors()
  async list(@CurrentPrincipal() principal: Principal, @Query() query: Query) {
    return this.page(principal.tenantId, MESSAGE_LIST, parseListQuery(query, MESSAGE_LIST, this.config));
  }

  @Get('conversations/:id/messages.json')
  @ApiOperation({ summary: 'The messages of one conversation, oldest first by default' })
  @ApiListQuery(CONVERSATION_MESSAGE_LIST)
  @ApiOkResponse({ schema: MESSAGES_LIST_SCHEMA })
  @ApiDeskErrors('notFound')
  async listOfConversation(@CurrentPrincipal() principal: Principal, @IdParam() id: number, @Query() query: Query) {
    const list = parseListQuery(query, CONVERSATION_MESSAGE_LIST, this.config);
    await this.conversations.assertExists(principal.tenantId, id);
    return this.page(principal.tenantId, CONVERSATION_MESSAGE_LIST, list, { conversationId: id });
  }

  @Public()
  @Get('conversationmessages/history/:token.json')
  @ApiOperation({
    summary: "A widget's conversation history (public: the conversation token is the credential)",
    description:
      `Active messages, oldest first, in the customer's view; page, pageSize, cursor, fields (${HISTORY_LIST.fields.join(', ')}) ` +
      `and includes (${HISTORY_LIST.includes.join(', ')}, all: the customer's own record and contacts, the authors among agents by name, the files).`,
    security: [],
  })
  @ApiOkResponse({ schema: CUSTOMER_MESSAGES_LIST_SCHEMA })
  @ApiDeskErrors('notFound')
  async history(@Param('token') token: string, @Query() query: Query) {
    const { page, pageSize, cursor, fields, includes } = query;
    const list = parseListQuery({ page, pageSize, cursor, fields, includes }, HISTORY_LIST, this.config);
    const conversation = await this.conversations.findByToken(token);
    const { tenantId, id: conversationId, contactId } = conversation;
    const { messages, meta } = await this.messages.list(tenantId, HISTORY_LIST, list, conversationId);
    // Agents appear as the authors of the page's messages, never as who created or edited a row.
    const included = await this.included.loadForCustomer(tenantId, list.includes, {
      contactId,
      users: messages.map((m) => m.userId),
      files: messages.flatMap((m) => m.fileIds),
    });
    return { conversationmessages: messages.map((m) => presentCustomerMessage(m, list.fields)), included, meta: { page: meta } };
  }

  @Get('conversationmessages/:id.json')
  @ApiOperation({ summary: 'Get a conversation message' })
  @ApiQuery({ name: 'fields', required: false })
  @ApiQuery({ name: 'includes', required: false, description: `Comma list of ${MESSAGE_LIST.includes.join(', ')}, or all` })
  @ApiOkResponse({ schema: MESSAGE_ENVELOPE_SCHEMA })
  @ApiDeskErrors('notFound')
  async get(@CurrentPrincipal() principal: Principal, @IdParam() id: number, @Query() query: Query) {
    const { fields, includes } = parseListQuery({ fields: query.fields, includes: query.includes }, MESSAGE_LIST, this.config);
    const message = await this.messages.getById(principal, id);
    const conversationmessage = presentMessage(message, fields);
    if (includes.size === 0) return { conversationmessage };
    return { conversationmessage, included: await this.sideload(principal.tenantId, [message], includes) };
  }

  @Patch('conversationmessages/:id.json')
  @ApiOperation({ summary: 'Edit a message: its text and files; authors and conversation are read-only' })
  @ApiBody({ schema: UPDATE_MESSAGE_BODY_SCHEMA })
  @ApiOkResponse({ schema: MESSAGE_ENVELOPE_SCHEMA })
  @ApiDeskErrors('notFound')
  async update(
    @CurrentPrincipal() principal: Principal,
    @IdParam() id: number,
    @DeskBody(UpdateMessageDto, 'conversationmessage') body: UpdateMessageDto,
  ) {
    return { conversationmessage: presentMessage(await this.messages.update(principal, id, body)) };
  }

  @Delete('conversationmessages/:id.json')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a message (soft: state becomes "deleted")' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiDeskErrors('notFound')
  async remove(@CurrentPrincipal() principal: Principal, @IdParam() id: number): Promise<void> {
    await this.messages.remove(principal, id);
  }

  // One page of messages, of the tenant or of one conversation, with what `includes` asks for.
  private async page(tenantId: number, spec: ListSpec, parsed: ListQuery, { conversationId }: { conversationId?: number } = {}) {
    const { messages, meta } = await this.messages.list(tenantId, spec, parsed, conversationId);
    return {
      conversationmessages: messages.map((message) => presentMessage(message, parsed.fields)),
      included: await this.sideload(tenantId, messages, parsed.includes),
      meta: { page: meta },
    };
  }

  private sideload(tenantId: number, messages: ConversationMessage[], includes: ReadonlySet<string>) {
    return this.included.load(tenantId, includes, {
      contacts: messages.map((m) => m.contactId),
      users: messages.flatMap((m) => [m.userId, m.createdBy, m.updatedBy, m.deletedBy]),
      files: messages.flatMap((m) => m.fileIds),
    });
  }
}
