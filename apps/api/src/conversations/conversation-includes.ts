import { Injectable, OnModuleInit } from '@nestjs/common';
import { presentCustomerMessage } from '../customer-view/customer-view.presenter';
import { Sideloads } from '../includes/sideloads';
import { ConversationMessage } from './messages/conversation-message.entity';
import { presentMessage } from './messages/message.presenter';
import { ConversationsRepository } from './conversations.repository';

// The conversations' latest messages, as `?includes=conversationmessages` side-loads them.
@Injectable()
export class ConversationIncludes implements OnModuleInit {
  constructor(
    private readonly sideloads: Sideloads,
    private readonly conversations: ConversationsRepository,
  ) {}

  onModuleInit(): void {
    this.sideloads.register<ConversationMessage>('conversationmessages', {
      fetch: (tenantId, ids) => this.conversations.messagesByIds(tenantId, ids),
      present: { agent: (message) => presentMessage(message), customer: (message) => presentCustomerMessage(message) },
    });
  }
}
