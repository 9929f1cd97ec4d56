import { Injectable } from '@nestjs/common';
import { ListQuery, PageMeta } from '@app/common';
import { conversationNotFound } from '../conversation-views';
import { ConversationsRepository } from '../conversations.repository';
import { ActivitiesRepository } from './activities.repository';
import { ACTIVITY_LIST } from './activity-list.definition';
import type { ConversationActivity } from './conversation-activity.entity';

// A conversation's history of workflow changes, as the list language reads it.
@Injectable()
export class ActivitiesService {
  constructor(
    private readonly activities: ActivitiesRepository,
    private readonly conversations: ConversationsRepository,
  ) {}

  // A 404 for a conversation the tenant lacks (a deleted one keeps its history).
  async listOfConversation(tenantId: number, conversationId: number, query: ListQuery): Promise<{ rows: ConversationActivity[]; meta: PageMeta }> {
    if (!(await this.conversations.findById(tenantId, conversationId))) throw conversationNotFound(conversationId);
    const { rows, meta } = await this.activities.list(tenantId, conversationId, ACTIVITY_LIST, query);
    return { rows, meta };
  }
}
