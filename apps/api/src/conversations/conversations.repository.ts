import { Injectable } from '@nestjs/common';
import { ListPage, ListQuery, runList } from '@app/common';
import { EntityManager, In } from 'typeorm';
import { Database } from '@app/database';
import { CONVERSATION_LIST } from './conversation-list.definition';
import { ConversationMessage } from '../messages/conversation-message.entity';
import { ConversationUser } from './conversation-user.entity';
import { Conversation } from './conversation.entity';

// Every query here takes the tenant first; the token lookup is the one exception, because the
// widget presents only its token.
@Injectable()
export class ConversationsRepository {
  constructor(private readonly db: Database) {}

  async findById(
    tenantId: number,
    id: number,
    manager: EntityManager = this.db.manager,
  ): Promise<Conversation | null> {
    const [row]: Conversation[] = await manager.query(`SELECT ${this.db.columnsOf(Conversation)} FROM conversations WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
    return row ?? null;
  }

  // Locks the row for the rest of the transaction, so concurrent updates apply one after another.
  async findByIdForUpdate(manager: EntityManager, tenantId: number, id: number): Promise<Conversation | null> {
    return manager
      .createQueryBuilder(Conversation, 'c')
      .where('c.tenant_id = :tenantId AND c.id = :id', { tenantId, id })
      .setLock('for_no_key_update')
      .getOne();
  }

  async findActiveByTokenLookup(lookup: string): Promise<Conversation | null> {
    return this.db.manager
      .createQueryBuilder(Conversation, 'c')
      .addSelect('c.tokenHash')
      .where('c.token_lookup = :lookup', { lookup })
      .andWhere(`c.state = 'active'`)
      .getOne();
  }

  // `customerId` narrows the list to the conversations with that customer's contacts.
  async list(tenantId: number, query: ListQuery, customerId?: number): Promise<ListPage<Conversation>> {
    const qb = this.db.manager.createQueryBuilder(Conversation, 'c').where('c.tenant_id = :tenantId', { tenantId });
    if (customerId !== undefined) {
      qb.andWhere(
        'c.contact_id IN (SELECT cc.id FROM customer_contacts cc WHERE cc.tenant_id = :tenantId AND cc.customer_id = :customerId)',
        { customerId },
      );
    }
    return runList(qb, CONVERSATION_LIST, query, { scope: customerId === undefined ? '' : `customer:${customerId}` });
  }

  async insert(manager: EntityManager, values: Partial<Conversation>): Promise<Conversation> {
    const conversation = manager.create(Conversation, values);
    await manager.insert(Conversation, conversation);
    return manager.findOneByOrFail(Conversation, { tenantId: conversation.tenantId, id: conversation.id });
  }

  // The messages of these ids (side-loaded as a conversation's latest), in conversation order.
  async messagesByIds(tenantId: number, ids: readonly number[]): Promise<ConversationMessage[]> {
    if (ids.length === 0) return [];
    return this.db.manager.find(ConversationMessage, {
      where: { tenantId, id: In([...ids]) },
      order: { conversationId: 'ASC', createdAt: 'ASC', id: 'ASC' },
    });
  }

  // The ids of the latest `limit` active messages of each conversation, oldest first: one index
  // scan per conversation, one statement for all.
  async latestMessageIds(tenantId: number, conversationIds: readonly number[], limit: number): Promise<Map<number, number[]>> {
    const byConversation = new Map<number, number[]>(conversationIds.map((id) => [id, []]));
    if (conversationIds.length === 0) return byConversation;
    const rows: { conversation_id: number; id: number }[] = await this.db.query(
      `SELECT cid AS conversation_id, latest.id FROM unnest($2::bigint[]) AS cid
         CROSS JOIN LATERAL (
           SELECT x.id, x.created_at FROM conversation_messages x
            WHERE x.tenant_id = $1 AND x.conversation_id = cid AND x.state = 'active'
            ORDER BY x.created_at DESC, x.id DESC LIMIT $3) AS latest
        ORDER BY latest.created_at, latest.id`,
      [tenantId, [...new Set(conversationIds)], limit],
    );
    for (const row of rows) byConversation.get(row.conversation_id)?.push(row.id);
    return byConversation;
  }

  async participantIds(tenantId: number, conversationIds: readonly number[]): Promise<Map<number, number[]>> {
    const byConversation = new Map<number, number[]>(conversationIds.map((id) => [id, []]));
    if (conversationIds.length === 0) return byConversation;
    const rows: { conversation_id: number; user_id: number }[] = await this.db.manager.query(
      `SELECT conversation_id, user_id FROM conversation_users
        WHERE tenant_id = $1 AND conversation_id = ANY($2::bigint[])
        ORDER BY created_at, user_id`,
      [tenantId, [...conversationIds]],
    );
    for (const row of rows) byConversation.get(row.conversation_id)?.push(row.user_id);
    return byConversation;
  }

  // Who is on each conversation's presence channel now (`user-7`, `contact-3`), in name order.
  async onlineMembers(tenantId: number, conversationIds: readonly number[]): Promise<Map<number, string[]>> {
    const byConversation = new Map<number, string[]>(conversationIds.map((id) => [id, []]));
    if (conversationIds.length === 0) return byConversation;
    const rows: { conversation_id: number; member: string }[] = await this.db.manager.query(
      `SELECT conversation_id, member FROM conversation_members
        WHERE tenant_id = $1 AND conversation_id = ANY($2::bigint[]) AND online
        ORDER BY conversation_id, member`,
      [tenantId, [...new Set(conversationIds)]],
    );
    for (const row of rows) byConversation.get(row.conversation_id)?.push(row.member);
    return byConversation;
  }

  async findByIds(tenantId: number, ids: readonly number[]): Promise<Conversation[]> {
    if (ids.length === 0) return [];
    return this.db.manager.find(Conversation, { where: { tenantId, id: In([...new Set(ids)]) }, order: { id: 'ASC' } });
  }

  // The first active message's text, for a ticket's subject and preview.
  async firstMessageText(manager: EntityManager, tenantId: number, conversationId: number): Promise<string | null> {
    const [row]: { message: string }[] = await manager.query(
      `SELECT message FROM conversation_messages
        WHERE tenant_id = $1 AND conversation_id = $2 AND state = 'active' AND message <> ''
        ORDER BY created_at, id LIMIT 1`,
      [tenantId, conversationId],
    );
    return row?.message ?? null;
  }

  // Returns how many were new.
  async addParticipants(
    manager: EntityManager,
    tenantId: number,
    conversationId: number,
    userIds: readonly number[],
    actorId: number,
  ): Promise<number> {
    if (userIds.length === 0) return 0;
    const added: unknown[] = await manager.query(
      `INSERT INTO conversation_users (tenant_id, conversation_id, user_id, created_by)
       SELECT $1, $2, user_id, $4 FROM unnest($3::bigint[]) AS user_id
       ON CONFLICT DO NOTHING
       RETURNING user_id`,
      [tenantId, conversationId, userIds, actorId],
    );
    return added.length;
  }

  // Returns how many were removed.
  async removeParticipants(
    manager: EntityManager,
    tenantId: number,
    conversationId: number,
    userIds: readonly number[],
  ): Promise<number> {
    if (userIds.length === 0) return 0;
    const result = await manager.delete(ConversationUser, { tenantId, conversationId, userId: In([...userIds]) });
    return result.affected ?? 0;
  }
}
