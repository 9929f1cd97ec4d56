import { Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
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
import { ApiDeskErrors, ApiListQuery, DeskBody, IdParam, Idempotent, ListQuery } from '@app/common';
import { CurrentPrincipal } from '../../auth/current-principal.decorator';
import { Principal } from '../../auth/principal';
import { Public } from '../../auth/public.decorator';
import { ConversationsService } from '../conversations.service';
import { CUSTOMER_MESSAGES_LIST_SCHEMA } from '../../customer-view/customer-view.openapi';
import { PageQuery, RespondOne, RespondPage, RespondRead } from '../../http/resource.decorators';
import { CreateMessageDto } from './dto/create-message.dto';
import { UpdateMessageDto } from './dto/update-message.dto';
import { CONVERSATION_MESSAGE_LIST, HISTORY_LIST, MESSAGE_LIST } from './message-list.definition';
import {
  CREATE_MESSAGE_BODY_SCHEMA,
  MESSAGE_ENVELOPE_SCHEMA,
  MESSAGES_LIST_SCHEMA,
  UPDATE_MESSAGE_BODY_SCHEMA,
} from './message.openapi';
import { CUSTOMER_MESSAGE, HistoryPage, MESSAGE, POSTED_MESSAGE } from './message.resource';
import { MessagesService } from './messages.service';

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
  @RespondOne(POSTED_MESSAGE)
  create(@CurrentPrincipal() principal: Principal, @DeskBody(CreateMessageDto, 'conversationmessage') body: CreateMessageDto) {
    return this.messages.post(principal, body);
  }

  @Get('conversationmessages.json')
  @ApiOperation({ summary: 'List conversation messages' })
  @ApiListQuery(MESSAGE_LIST)
  @ApiOkResponse({ schema: MESSAGES_LIST_SCHEMA })
  @ApiDeskErrors()
  @RespondPage(MESSAGE, MESSAGE_LIST)
  list(@CurrentPrincipal() principal: Principal, @PageQuery() list: ListQuery) {
    return this.messages.list(principal.tenantId, MESSAGE_LIST, list);
  }

  @Get('conversations/:id/messages.json')
  @ApiOperation({ summary: 'The messages of one conversation, oldest first by default' })
  @ApiListQuery(CONVERSATION_MESSAGE_LIST)
  @ApiOkResponse({ schema: MESSAGES_LIST_SCHEMA })
  @ApiDeskErrors('notFound')
  @RespondPage(MESSAGE, CONVERSATION_MESSAGE_LIST)
  async listOfConversation(@CurrentPrincipal() principal: Principal, @IdParam() id: number, @PageQuery() list: ListQuery) {
    await this.conversations.assertExists(principal.tenantId, id);
    return this.messages.list(principal.tenantId, CONVERSATION_MESSAGE_LIST, list, id);
  }

  @Public()
  @Get('conversationmessages/history/:token.json')
  @ApiOperation({
    summary: "A widget's conversation history (public: the conversation token is the credential)",
    description:
      `Active messages (never agents' private notes), oldest first, in the customer's view; page, pageSize, cursor, fields (${HISTORY_LIST.fields.join(', ')}) ` +
      `and includes (${HISTORY_LIST.includes.join(', ')}, all: the customer's own record and contacts, the authors among agents by name, the files).`,
    security: [],
  })
  @ApiOkResponse({ schema: CUSTOMER_MESSAGES_LIST_SCHEMA })
  @ApiDeskErrors('notFound')
  @RespondPage(CUSTOMER_MESSAGE, HISTORY_LIST, ['page', 'pageSize', 'cursor', 'fields', 'includes'])
  async history(@Param('token') token: string, @PageQuery() list: ListQuery): Promise<HistoryPage> {
    const conversation = await this.conversations.findByToken(token);
    return { conversation, ...(await this.messages.history(conversation.tenantId, conversation.id, list)) };
  }

  @Get('conversationmessages/:id.json')
  @ApiOperation({ summary: 'Get a conversation message' })
  @ApiQuery({ name: 'fields', required: false })
  @ApiQuery({ name: 'includes', required: false, description: `Comma list of ${MESSAGE_LIST.includes.join(', ')}, or all` })
  @ApiOkResponse({ schema: MESSAGE_ENVELOPE_SCHEMA })
  @ApiDeskErrors('notFound')
  @RespondRead(MESSAGE)
  get(@CurrentPrincipal() principal: Principal, @IdParam() id: number) {
    return this.messages.getById(principal, id);
  }

  @Patch('conversationmessages/:id.json')
  @ApiOperation({ summary: 'Edit a message: its text and files; authors and conversation are read-only' })
  @ApiBody({ schema: UPDATE_MESSAGE_BODY_SCHEMA })
  @ApiOkResponse({ schema: MESSAGE_ENVELOPE_SCHEMA })
  @ApiDeskErrors('notFound')
  @RespondOne(MESSAGE)
  update(@CurrentPrincipal() principal: Principal, @IdParam() id: number, @DeskBody(UpdateMessageDto, 'conversationmessage') body: UpdateMessageDto) {
    return this.messages.update(principal, id, body);
  }

  @Delete('conversationmessages/:id.json')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a message (soft: state becomes "deleted")' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiDeskErrors('notFound')
  async remove(@CurrentPrincipal() principal: Principal, @IdParam() id: number): Promise<void> {
    await this.messages.remove(principal, id);
  }
}
