import { Controller, Get, HttpCode, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiQuery } from '@nestjs/swagger';
import { Idempotent } from '@app/common';
import { AppConfig } from '@app/config';
import type { FastifyRequest } from 'fastify';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { Principal } from '../auth/principal';
import { SendMessageDto } from './dto/send-message.dto';
import { fileLinks } from './file-links';
import { HighLevelGuard } from './highlevel.guard';
import { ApiHighLevel, HL_MESSAGE, HL_MESSAGES_RESPONSE, HL_SEND_MESSAGE_BODY, HL_SEND_MESSAGE_RESPONSE } from './highlevel.openapi';
import { MESSAGE_TYPES } from './highlevel-vocabulary';
import { presentMessage } from './highlevel.presenter';
import { parseMessagesQuery } from './highlevel-queries';
import { HighLevelService } from './highlevel.service';
import { HighLevelBody } from './highlevel-validation';

// HighLevel's messages: /conversations/messages…, /conversations/{id}/messages.
@ApiHighLevel()
@UseGuards(HighLevelGuard)
@Controller('conversations')
export class HighLevelMessagesController {
  constructor(
    private readonly highLevel: HighLevelService,
    private readonly config: AppConfig,
  ) {}

  @Post('messages')
  @HttpCode(200)
  @Idempotent({ mismatch: 'unprocessable' })
  @ApiOperation({ summary: "Send a new message from the key's agent (Live_Chat or Custom)" })
  @ApiBody({ schema: HL_SEND_MESSAGE_BODY })
  @ApiOkResponse({ schema: HL_SEND_MESSAGE_RESPONSE })
  async send(@CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest, @HighLevelBody(SendMessageDto) body: SendMessageDto) {
    const sent = await this.highLevel.sendMessage(principal, body, fileLinks(this.config, request).idOf);
    return { conversationId: String(sent.conversationId), messageId: String(sent.messageId), msg: 'Message queued successfully.' };
  }

  @Get('messages/:id')
  @ApiOperation({ summary: 'Get message by message id' })
  @ApiOkResponse({ schema: HL_MESSAGE })
  async get(@CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest, @Param('id') id: string) {
    return presentMessage(await this.highLevel.getMessage(principal, id), principal.locationId, fileLinks(this.config, request).urlOf);
  }

  @Get(':conversationId/messages')
  @ApiOperation({ summary: 'Get messages by conversation id, newest first' })
  @ApiQuery({ name: 'lastMessageId', required: false, description: 'The previous page’s lastMessageId' })
  @ApiQuery({ name: 'limit', required: false, type: Number, description: 'Default 20, at most 100' })
  @ApiQuery({ name: 'type', required: false, description: `Comma list of ${MESSAGE_TYPES.join(', ')}` })
  @ApiOkResponse({ schema: HL_MESSAGES_RESPONSE })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
    @Param('conversationId') conversationId: string,
    @Query() query: Record<string, unknown>,
  ) {
    const page = await this.highLevel.listMessages(principal, conversationId, parseMessagesQuery(query));
    const { urlOf } = fileLinks(this.config, request);
    return {
      messages: {
        lastMessageId: page.lastMessageId,
        nextPage: page.nextPage,
        messages: page.messages.map((message) => presentMessage(message, principal.locationId, urlOf)),
      },
    };
  }
}
