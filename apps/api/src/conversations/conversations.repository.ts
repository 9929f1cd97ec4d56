import { Injectable } from '@nestjs/common';
import { ListPage, ListQuery, runList } from '@app/common';
import { In } from 'typeorm';
import { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { Database } from '@app/database';
import { CONVERSATION_LIST } from './conversation-list.definition';
import { ConversationMessage } from './messages/conversation-message.entity';
import { ConversationUser } from './conversation-user.entity';
import { Conversation } from './conversation.entity';
import type { Reopened, RoutingFacts } from './workflow/workflow-rules';

// Whether a conversation's widget is online (Pusher's occupancy of its channel).
export interface WidgetChange {
  tenantId: number;
  conversationId: number;
  online: boolean;
}

// Whether a member (`user-{id}`, `contact-{id}`) is on a conversation's presence channel.
export interface MemberChange extends WidgetChange {
  member: string;
}

// Every query here takes the tenant first; the token lookup is the one exception, because the
// widget presents only its token.
@Injectable()
export class ConversationsRepository {
  constructor(private readonly db: Database) {}

  async findById(tenantId: number, id: number): Promise<Conversation | null> {
    const [row]: Conversation[] = await this.db.query(`SELECT ${this.db.columnsOf(Conversation)} FROM conversations WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
    return row ?? null;
  }

  // Locks the row for the rest of the transaction, so concurrent updates apply one after another.
  async findByIdForUpdate(tenantId: number, id: number): Promise<Conversation | null> {
    return this.db.manager
      .createQueryBuilder(Conversation, 'c')
      .where('c.tenant_id = :tenantId AND c.id = :id', { tenantId, id })
      .setLock('for_no_key_update')
      .getOne();
  }

  // Locks the tenant's conversations of these ids, in id order (docs/architecture.md, "Who locks
  // what"), so a bulk change and anything else locking several never wait on each other in a circle.
  async lockByIds(tenantId: number, ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.query(`SELECT id FROM conversations WHERE tenant_id = $1 AND id = ANY($2::bigint[]) ORDER BY id FOR NO KEY UPDATE`, [tenantId, [...ids]]);
  }

  async isActive(tenantId: number, id: number): Promise<boolean> {
    return this.db.manager.existsBy(Conversation, { tenantId, id, state: 'active' });
  }

  async findActiveByTokenLookup(lookup: string): Promise<Conversation | null> {
    return this.db.manager
      .createQueryBuilder(Conversation, 'c')
      .addSelect('c.tokenHash')
      .where('c.token_lookup = :lookup', { lookup })
      .andWhere(`c.state = 'active'`)
      .getOne();
  }

  // `customerId` narrows the list to the conversations with that customer's contacts; `callerId`
  // is who a filter's `"me"` is.
  async list(tenantId: number, query: ListQuery, callerId: number, customerId?: number): Promise<ListPage<Conversation>> {
    const qb = this.db.manager.createQueryBuilder(Conversation, 'c').where('c.tenant_id = :tenantId', { tenantId });
    if (customerId !== undefined) {
      qb.andWhere(
        'c.contact_id IN (SELECT cc.id FROM customer_contacts cc WHERE cc.tenant_id = :tenantId AND cc.customer_id = :customerId)',
        { customerId },
      );
    }
    return runList(qb, CONVERSATION_LIST, query, { scope: customerId === undefined ? '' : `customer:${customerId}`, symbols: { me: callerId } });
  }

  async insert(values: Partial<Conversation>): Promise<Conversation> {
    const manager = this.db.manager;
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

  // The ids of the latest `limit` active messages of each conversation, oldest first (`all`, the
  // agents'), and of its latest `limit` public ones (`public`, the customer's: no note): one index
  // scan per conversation, and a second only for a conversation with a note among its latest; one
  // statement for all.
  async latestMessageIds(tenantId: number, conversationIds: readonly number[], limit: number): Promise<Map<number, { all: number[]; public: number[] }>> {
    const byConversation = new Map(conversationIds.map((id) => [id, { all: [] as number[], public: [] as number[] }]));
    if (conversationIds.length === 0) return byConversation;
    // Neither list's order key is returned: a conversation's ids alone, in order, make its lists.
    const rows: { conversation_id: number; id: number; private: boolean; public: boolean }[] = await this.db.query(
      `WITH latest AS (
         SELECT cid AS conversation_id, l.id, l.created_at, l.private FROM unnest($2::bigint[]) AS cid
          CROSS JOIN LATERAL (
            SELECT x.id, x.created_at, x.private FROM conversation_messages x
             WHERE x.tenant_id = $1 AND x.conversation_id = cid AND x.state = 'active'
             ORDER BY x.created_at DESC, x.id DESC LIMIT $3) AS l),
       noted AS (SELECT DISTINCT conversation_id FROM latest WHERE private)
       SELECT conversation_id, id, private, public FROM (
         SELECT conversation_id, id, created_at, private, false AS public FROM latest
         UNION ALL
         SELECT n.conversation_id, p.id, p.created_at, false, true FROM noted n
           CROSS JOIN LATERAL (
             SELECT x.id, x.created_at FROM conversation_messages x
              WHERE x.tenant_id = $1 AND x.conversation_id = n.conversation_id AND x.state = 'active' AND NOT x.private
              ORDER BY x.created_at DESC, x.id DESC LIMIT $3) AS p) AS both_lists
        ORDER BY created_at, id`,
      [tenantId, [...new Set(conversationIds)], limit],
    );
    const noted = new Set(rows.filter((row) => row.private).map((row) => row.conversation_id));
    for (const row of rows) {
      const lists = byConversation.get(row.conversation_id);
      if (!lists) continue;
      if (!row.public) lists.all.push(row.id);
      // Without a note among the latest, the customer's list is the agents'.
      if (row.public || !noted.has(row.conversation_id)) lists.public.push(row.id);
    }
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

  // Returns how many were new.
  async addParticipants(tenantId: number, conversationId: number, userIds: readonly number[], actorId: number): Promise<number> {
    if (userIds.length === 0) return 0;
    const added: unknown[] = await this.db.query(
      `INSERT INTO conversation_users (tenant_id, conversation_id, user_id, created_by)
       SELECT $1, $2, user_id, $4 FROM unnest($3::bigint[]) AS user_id
       ON CONFLICT DO NOTHING
       RETURNING user_id`,
      [tenantId, conversationId, userIds, actorId],
    );
    return added.length;
  }

  // Returns how many were removed.
  async removeParticipants(tenantId: number, conversationId: number, userIds: readonly number[]): Promise<number> {
    if (userIds.length === 0) return 0;
    const result = await this.db.manager.delete(ConversationUser, { tenantId, conversationId, userId: In([...userIds]) });
    return result.affected ?? 0;
  }

  async update(tenantId: number, id: number, changes: QueryDeepPartialEntity<Conversation>): Promise<void> {
    await this.db.manager.update(Conversation, { tenantId, id }, changes);
  }

  // The tenant's teams among these ids, deleted ones too.
  async findTeams(tenantId: number, ids: readonly number[]): Promise<{ id: number }[]> {
    if (ids.length === 0) return [];
    return this.db.query(`SELECT id FROM teams WHERE tenant_id = $1 AND id = ANY($2::bigint[]) ORDER BY id`, [tenantId, [...ids]]);
  }

  // The tenant's active teams among these ids (a conversation's team must be one).
  async findActiveTeams(tenantId: number, ids: readonly number[]): Promise<{ id: number }[]> {
    if (ids.length === 0) return [];
    return this.db.query(`SELECT id FROM teams WHERE tenant_id = $1 AND id = ANY($2::bigint[]) AND state = 'active' ORDER BY id`, [tenantId, [...ids]]);
  }

  // Takes these conversations, which the caller has locked, off their assignee; each only while
  // still assigned to that agent.
  async unassign(rows: readonly { tenantId: number; id: number; assigneeId: number }[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.query(
      `UPDATE conversations c SET assignee_id = NULL, updated_at = now()
         FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS u(tenant_id, id, assignee_id)
        WHERE c.tenant_id = u.tenant_id AND c.id = u.id AND c.assignee_id = u.assignee_id`,
      [rows.map((r) => r.tenantId), rows.map((r) => r.id), rows.map((r) => r.assigneeId)],
    );
  }

  // Locks every active conversation assigned to the agent (found by ix_conversations_assignee_queue,
  // locked in id order by the sort), resolved ones too: a reopen of one of them then waits for the
  // agent's deactivation to commit, and finds them inactive. Answers them as routing sees them.
  async lockAssignedTo(tenantId: number, userId: number): Promise<(RoutingFacts & { id: number })[]> {
    return this.db.query(
      `SELECT id, state, status, assignee_id AS "assigneeId", team_id AS "teamId" FROM conversations
        WHERE tenant_id = $1 AND assignee_id = $2 AND state = 'active'
        ORDER BY id
          FOR NO KEY UPDATE`,
      [tenantId, userId],
    );
  }

  // Up to `limit` snoozed conversations whose time has come, across tenants, open again: locked
  // with SKIP LOCKED (a conversation another transaction holds waits for the next run, so no
  // lock order is at stake), each with what it was.
  async wakeSnoozed(limit: number): Promise<Reopened[]> {
    const [rows]: [Reopened[], number] = await this.db.query(
      `WITH due AS (
         SELECT tenant_id, id FROM conversations
          WHERE status = 'snoozed' AND state = 'active' AND snoozed_until <= now()
          ORDER BY snoozed_until
          LIMIT $1
            FOR NO KEY UPDATE SKIP LOCKED)
       UPDATE conversations c
          SET status = 'open', snoozed_until = NULL, updated_at = now(), updated_by = NULL
         FROM due
        WHERE c.tenant_id = due.tenant_id AND c.id = due.id
       RETURNING c.tenant_id AS "tenantId", c.id AS "conversationId", 'snoozed' AS "fromStatus",
                 c.assignee_id AS "assigneeId", c.team_id AS "teamId", NULL::bigint AS "contactId"`,
      [limit],
    );
    return rows;
  }

  // Whether each widget is online, unless a later event has been recorded already. The
  // conversations whose state changed.
  async setWidgetOnline(changes: readonly WidgetChange[], at: Date): Promise<WidgetChange[]> {
    if (changes.length === 0) return [];
    // An UPDATE answers [rows, count] through TypeORM.
    const [changed]: [WidgetChange[], number] = await this.db.query(
      `WITH t AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS t(tenant_id bigint, conversation_id bigint, online boolean))
       UPDATE conversations c
          SET widget_online = t.online, widget_online_at = $2
         FROM t
        WHERE c.tenant_id = t.tenant_id AND c.id = t.conversation_id
          AND (c.widget_online_at IS NULL OR c.widget_online_at <= $2)
          AND (c.widget_online IS DISTINCT FROM t.online OR c.widget_online_at IS NULL)
       RETURNING c.tenant_id AS "tenantId", c.id AS "conversationId", c.widget_online AS online`,
      [JSON.stringify(changes.map((c) => ({ tenant_id: c.tenantId, conversation_id: c.conversationId, online: c.online }))), at],
    );
    return changed;
  }

  // Who is on each presence channel, unless a later event has been recorded already; agents who
  // join become the conversation's participants. The members whose state changed.
  async setMembers(changes: readonly MemberChange[], at: Date): Promise<MemberChange[]> {
    if (changes.length === 0) return [];
    return this.db.query(
      `WITH t AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS t(tenant_id bigint, conversation_id bigint, member text, online boolean)),
            participants AS (
              INSERT INTO conversation_users (tenant_id, conversation_id, user_id)
              SELECT t.tenant_id, t.conversation_id, substr(t.member, 6)::bigint FROM t
               WHERE t.online AND t.member LIKE 'user-%'
               ORDER BY t.conversation_id, t.member
              ON CONFLICT DO NOTHING)
       INSERT INTO conversation_members AS m (tenant_id, conversation_id, member, online, changed_at)
       SELECT t.tenant_id, t.conversation_id, t.member, t.online, $2 FROM t ORDER BY t.conversation_id, t.member
       ON CONFLICT (tenant_id, conversation_id, member) DO UPDATE SET online = EXCLUDED.online, changed_at = EXCLUDED.changed_at
        WHERE m.changed_at <= EXCLUDED.changed_at AND m.online IS DISTINCT FROM EXCLUDED.online
       RETURNING m.tenant_id AS "tenantId", m.conversation_id AS "conversationId", m.member, m.online`,
      [JSON.stringify(changes.map((c) => ({ tenant_id: c.tenantId, conversation_id: c.conversationId, member: c.member, online: c.online }))), at],
    );
  }
}
