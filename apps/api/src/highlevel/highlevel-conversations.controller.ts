import { Controller, Delete, Get, HttpCode, Param, Post, Put, Query, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiQuery } from '@nestjs/swagger';
import { Idempotent } from '@app/common';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { Principal } from '../auth/principal';
import { CreateConversationDto, UpdateConversationDto } from './dto/conversation.dto';
import { HighLevelGuard } from './highlevel.guard';
import {
  ApiHighLevel,
  HL_CONVERSATION,
  HL_CREATE_CONVERSATION_BODY,
  HL_CREATE_CONVERSATION_RESPONSE,
  HL_SEARCH_RESPONSE,
  HL_SUCCESS,
  HL_UPDATE_CONVERSATION_BODY,
  HL_UPDATE_CONVERSATION_RESPONSE,
} from './highlevel.openapi';
import { presentConversation, presentConversationDto, presentCreatedConversation, presentSearchItem } from './highlevel.presenter';
import { parseSearchQuery } from './highlevel-queries';
import { HighLevelService } from './highlevel.service';
import { HighLevelBody } from './highlevel-validation';
import { MESSAGE_TYPES } from './highlevel-vocabulary';

// HighLevel's Conversations API: /conversations/… (no /desk prefix).
@ApiHighLevel()
@UseGuards(HighLevelGuard)
@Controller('conversations')
export class HighLevelConversationsController {
  constructor(private readonly highLevel: HighLevelService) {}

  @Post()
  @HttpCode(200)
  @Idempotent({ mismatch: 'unprocessable' })
  @ApiOperation({ summary: 'Create Conversation (HighLevel Conversations API): one open conversation per contact' })
  @ApiBody({ schema: HL_CREATE_CONVERSATION_BODY })
  @ApiOkResponse({ schema: HL_CREATE_CONVERSATION_RESPONSE })
  async create(@CurrentPrincipal() principal: Principal, @HighLevelBody(CreateConversationDto) body: CreateConversationDto) {
    const summary = await this.highLevel.createConversation(principal, body);
    return { success: true, conversation: presentCreatedConversation(summary, principal.locationId) };
  }

  @Get('search')
  @ApiOperation({ summary: 'Search Conversations', description: 'Deleted conversations are left out. Paged by startAfterDate.' })
  @ApiQuery({ name: 'locationId', required: true })
  @ApiQuery({ name: 'contactId', required: false })
  @ApiQuery({ name: 'assignedTo', required: false, description: 'Comma list of agent ids; "unassigned" for none' })
  @ApiQuery({ name: 'id', required: false, description: 'A conversation id' })
  @ApiQuery({ name: 'query', required: false, description: "Matches the contact's name, email, phone and the last message" })
  @ApiQuery({ name: 'sort', required: false, enum: ['asc', 'desc'] })
  @ApiQuery({ name: 'sortBy', required: false, enum: ['last_message_date'] })
  @ApiQuery({ name: 'startAfterDate', required: false, description: "The last item's sort value (ms), or its `sort` pair as ms,id" })
  @ApiQuery({ name: 'limit', required: false, type: Number, description: 'Default 20, at most 100' })
  @ApiQuery({ name: 'status', required: false, enum: ['all', 'read', 'unread', 'starred', 'recents'], description: 'About reading, not the workflow: assignedTo reaches the assignee' })
  @ApiQuery({ name: 'lastMessageType', required: false, enum: MESSAGE_TYPES, description: "The latest public message's type" })
  @ApiQuery({ name: 'lastMessageDirection', required: false, enum: ['inbound', 'outbound'], description: "The latest public message's direction" })
  @ApiOkResponse({ schema: HL_SEARCH_RESPONSE })
  async search(@CurrentPrincipal() principal: Principal, @Query() query: Record<string, unknown>) {
    const { locationId, criteria } = parseSearchQuery(query);
    this.highLevel.assertLocation(principal, locationId);
    const { rows, total } = await this.highLevel.search(principal, criteria);
    return { conversations: rows.map((row) => presentSearchItem(row, principal.locationId)), total };
  }

  @Get(':conversationId')
  @ApiOperation({ summary: 'Get Conversation (deleted ones too, with deleted: true)' })
  @ApiOkResponse({ schema: HL_CONVERSATION })
  async get(@CurrentPrincipal() principal: Principal, @Param('conversationId') conversationId: string) {
    return presentConversation(await this.highLevel.getConversation(principal, conversationId), principal.locationId);
  }

  @Put(':conversationId')
  @ApiOperation({ summary: 'Update Conversation: unreadCount, starred, feedback' })
  @ApiBody({ schema: HL_UPDATE_CONVERSATION_BODY })
  @ApiOkResponse({ schema: HL_UPDATE_CONVERSATION_RESPONSE })
  async update(
    @CurrentPrincipal() principal: Principal,
    @Param('conversationId') conversationId: string,
    @HighLevelBody(UpdateConversationDto) body: UpdateConversationDto,
  ) {
    const summary = await this.highLevel.updateConversation(principal, conversationId, body);
    return { success: true, conversation: presentConversationDto(summary, principal.locationId) };
  }

  @Delete(':conversationId')
  @HttpCode(200)
  @ApiOperation({ summary: 'Delete Conversation (soft: it leaves the inbox and the search)' })
  @ApiOkResponse({ schema: HL_SUCCESS })
  async remove(@CurrentPrincipal() principal: Principal, @Param('conversationId') conversationId: string) {
    await this.highLevel.deleteConversation(principal, conversationId);
    return { success: true };
  }
}
