import { Injectable } from '@nestjs/common';
import { ListPage, ListQuery, ListSpec, runList } from '@app/common';
import { Database } from '@app/database';
import { ConversationActivity } from './conversation-activity.entity';
import type { NewActivity } from './activity.types';

@Injectable()
export class ActivitiesRepository {
  constructor(private readonly db: Database) {}

  // One statement for any number of activities, at the transaction's time; the rows as stored.
  async insert(activities: readonly NewActivity[]): Promise<ConversationActivity[]> {
    if (activities.length === 0) return [];
    const rows = activities.map((a) => ({
      tenant_id: a.tenantId,
      conversation_id: a.conversationId,
      type: a.type,
      from_value: a.from,
      to_value: a.to,
      reason: a.reason ?? null,
      actor_type: a.actor.type,
      actor_id: a.actor.type === 'system' ? null : a.actor.id,
    }));
    return this.db.query(
      `INSERT INTO conversation_activities (tenant_id, conversation_id, type, from_value, to_value, reason, actor_type, actor_id)
       SELECT r.tenant_id, r.conversation_id, r.type, r.from_value, r.to_value, r.reason, r.actor_type, r.actor_id
         FROM jsonb_to_recordset($1::jsonb)
           AS r(tenant_id bigint, conversation_id bigint, type text, from_value jsonb, to_value jsonb, reason text, actor_type text, actor_id bigint)
       RETURNING ${this.db.columnsOf(ConversationActivity)}`,
      [JSON.stringify(rows)],
    );
  }

  // One conversation's activities, in the list language; its own index serves every order.
  async list(tenantId: number, conversationId: number, spec: ListSpec, query: ListQuery): Promise<ListPage<ConversationActivity>> {
    const qb = this.db.manager
      .createQueryBuilder(ConversationActivity, 'a')
      .where('a.tenant_id = :tenantId AND a.conversation_id = :conversationId', { tenantId, conversationId });
    return runList(qb, spec, query, { scope: `conversation:${conversationId}` });
  }
}
