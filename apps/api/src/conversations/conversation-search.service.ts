import { Injectable } from '@nestjs/common';
import { ConversationSearchRepository } from './conversation-search.repository';
import { ConversationSummary, MessageSummary, SearchCriteria } from './conversation-search.types';

// Conversations and messages as summaries (HighLevel's shapes), and the search over them.
@Injectable()
export class ConversationSearchService {
  constructor(private readonly repository: ConversationSearchRepository) {}

  // The tenant's conversations of these ids, deleted ones too, in id order.
  async summaries(tenantId: number, ids: readonly number[]): Promise<ConversationSummary[]> {
    return this.repository.summaries(tenantId, ids);
  }

  async search(tenantId: number, criteria: SearchCriteria): Promise<{ rows: ConversationSummary[]; total: number }> {
    return this.repository.search(tenantId, criteria);
  }

  // Messages of one conversation, newest first, strictly older than the message `beforeId` when given.
  async messagesPage(tenantId: number, conversationId: number, options: { beforeId?: number; types?: string[]; limit: number }): Promise<MessageSummary[]> {
    return this.repository.messagesPage(tenantId, conversationId, options);
  }

  // An active message of the tenant, with its conversation's contact.
  async message(tenantId: number, id: number): Promise<MessageSummary | null> {
    return this.repository.message(tenantId, id);
  }

  // The contact's open conversation (active, not converted to a ticket): its latest.
  async openConversationOf(tenantId: number, contactId: number): Promise<number | null> {
    return this.repository.openConversationOf(tenantId, contactId);
  }
}
