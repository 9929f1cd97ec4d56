import { Injectable } from '@nestjs/common';
import { ListPage, ListQuery, ListSpec, runList, softDeleted } from '@app/common';
import { Database } from '@app/database';
import { In } from 'typeorm';
import { ConversationMessage, MessageDirection } from './conversation-message.entity';
import type { ChatRelation } from '../../tickets/chat-message-row';
import { ConversationMention } from './conversation-mention.entity';
import { MENTION_LIST } from './mention-list.definition';
import type { MentionView } from './mention.view';
import { AppendSource, LockedConversation, NewMessage, TouchedConversation } from './message.types';
import type { Reopened } from '../workflow/workflow-rules';

export interface MessageKey {
  tenantId: number;
  conversationId: number;
  direction: MessageDirection;
  clientMessageId: string;
}

// Every query takes the tenant first. Writes of many messages are one statement whatever their number.
@Injectable()
export class MessagesRepository {
  constructor(private readonly db: Database) {}

  // A statement that ends with these answers the message itself, with no second query to read it.
  private get columns(): string {
    return this.db.columnsOf(ConversationMessage);
  }

  async findById(tenantId: number, id: number): Promise<ConversationMessage | null> {
    return this.db.manager.findOneBy(ConversationMessage, { tenantId, id });
  }

  async findByIds(tenantId: number, ids: readonly number[]): Promise<ConversationMessage[]> {
    if (ids.length === 0) return [];
    return this.db.manager.find(ConversationMessage, { where: { tenantId, id: In([...new Set(ids)]) } });
  }

  // Locks the message (its conversation is locked first, by lockConversationOfMessage).
  async findByIdForUpdate(tenantId: number, id: number): Promise<ConversationMessage | null> {
    return this.db.manager
      .createQueryBuilder(ConversationMessage, 'm')
      .where('m.tenant_id = :tenantId AND m.id = :id', { tenantId, id })
      .setLock('for_no_key_update')
      .getOne();
  }

  // `conversationId` narrows the list to one conversation (its own index serves it); `publicOnly`
  // leaves notes out (the customer's history).
  async list(tenantId: number, spec: ListSpec, query: ListQuery, conversationId?: number, publicOnly = false): Promise<ListPage<ConversationMessage>> {
    const qb = this.db.manager.createQueryBuilder(ConversationMessage, 'm').where('m.tenant_id = :tenantId', { tenantId });
    if (conversationId !== undefined) qb.andWhere('m.conversation_id = :conversationId', { conversationId });
    if (publicOnly) qb.andWhere('NOT m.private');
    return runList(qb, spec, query, { scope: conversationId === undefined ? '' : `conversation:${conversationId}` });
  }

  // The messages, in the order given (their ids follow it, and order messages of one time), stamped
  // with the batch's time so a late event sorts among its neighbours. Status by side: an agent's is
  // sent, a customer's delivered. A clientMessageId already stored on its side of its conversation
  // (the customer's or the agents') inserts nothing: concurrent inserts of one wait on the unique
  // index, so exactly one creates. Answers the messages created, in the order given (by id:
  // RETURNING promises no order).
  async insertMessages(messages: readonly NewMessage[], from: AppendSource): Promise<ConversationMessage[]> {
    if (messages.length === 0) return [];
    const created: ConversationMessage[] = await this.db.query(
      `INSERT INTO conversation_messages
         (tenant_id, conversation_id, user_id, contact_id, message, file_ids, client_message_id, created_at, updated_at,
          created_by, updated_by, status, message_type, source, private, mention_ids)
       SELECT m.tenant_id, m.conversation_id, m.user_id, m.contact_id, m.message,
              ARRAY(SELECT jsonb_array_elements_text(m.file_ids)::bigint), m.client_message_id,
              coalesce($2::timestamptz, now()), coalesce($2::timestamptz, now()), $3, $3,
              CASE WHEN m.contact_id IS NULL THEN 'sent' ELSE 'delivered' END, m.message_type, $4,
              m.private, ARRAY(SELECT jsonb_array_elements_text(m.mention_ids)::bigint)
         FROM jsonb_to_recordset($1::jsonb) AS m(
                tenant_id bigint, conversation_id bigint, user_id bigint, contact_id bigint, message text,
                file_ids jsonb, client_message_id text, message_type text, private boolean, mention_ids jsonb, position int)
        ORDER BY m.position
       ON CONFLICT (tenant_id, conversation_id, direction, client_message_id) WHERE client_message_id IS NOT NULL DO NOTHING
       RETURNING ${this.columns}`,
      [
        JSON.stringify(
          messages.map((m, position) => ({
            tenant_id: m.tenantId,
            conversation_id: m.conversationId,
            user_id: m.userId,
            contact_id: m.contactId,
            message: m.message,
            file_ids: m.fileIds,
            client_message_id: m.clientMessageId,
            message_type: m.messageType ?? 'TYPE_LIVE_CHAT',
            private: m.isPrivate ?? false,
            mention_ids: m.mentionIds ?? [],
            position,
          })),
        ),
        from.at,
        from.actorId,
        from.source,
      ],
    );
    return created.sort((a, b) => Number(a.id) - Number(b.id));
  }

  // The mentions of notes just created, one row per note and agent, in one statement; answers them.
  async insertMentions(created: readonly ConversationMessage[]): Promise<MentionView[]> {
    const mentions = created.flatMap((m) =>
      m.mentionIds.map((userId) => ({ tenantId: m.tenantId, id: m.id, conversationId: m.conversationId, userId, mentionedBy: m.userId!, createdAt: m.createdAt })),
    );
    if (mentions.length === 0) return [];
    await this.db.query(
      `INSERT INTO conversation_mentions (tenant_id, message_id, user_id, conversation_id, created_at, created_by)
       SELECT m.tenant_id, m.id, u.user_id, m.conversation_id, m.created_at, m.created_by
         FROM conversation_messages m CROSS JOIN LATERAL unnest(m.mention_ids) AS u(user_id)
        WHERE m.tenant_id = ANY($1::bigint[]) AND (m.tenant_id, m.id) IN (SELECT * FROM unnest($1::bigint[], $2::bigint[]))`,
      [created.map((m) => m.tenantId), created.map((m) => m.id)],
    );
    return mentions;
  }

  // The agent's mentions, in the list language; each with its note (its author and state).
  async listMentions(tenantId: number, userId: number, query: ListQuery): Promise<ListPage<ConversationMention>> {
    const qb = this.db.manager
      .createQueryBuilder(ConversationMention, 'mn')
      .innerJoinAndSelect('mn.message', 'm')
      .where('mn.tenant_id = :tenantId AND mn.user_id = :userId', { tenantId, userId });
    return runList(qb, MENTION_LIST, query, { scope: `mentions:${userId}` });
  }

  // The messages stored under these keys (side and clientMessageId of a conversation).
  async findByKeys(keys: readonly MessageKey[]): Promise<ConversationMessage[]> {
    if (keys.length === 0) return [];
    return this.db.query(
      `SELECT ${this.columns}
         FROM conversation_messages
        WHERE (tenant_id, conversation_id, direction, client_message_id) IN (
                SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]))`,
      [keys.map((k) => k.tenantId), keys.map((k) => k.conversationId), keys.map((k) => k.direction), keys.map((k) => k.clientMessageId)],
    );
  }

  // New messages move their conversations' last-message time and text (never back) and updatedAt,
  // and their unread count: an agent's message reads the conversation, so it counts from the
  // customer's messages after the last of those (`reset`). And the workflow: a reply clears
  // waitingSince; the first reply to a customer (an agent's message while a customer's waits,
  // from before or earlier among these) sets firstReplyAt, once: an agent's message opening a
  // conversation is no reply. A customer's message waiting sets waitingSince unless one waits
  // already; a customer's message reopens a pending, snoozed or resolved conversation
  // (the ones answered, with their status before). The conversations were locked first, in id
  // order, so writers touching the same conversations cannot deadlock.
  async touchConversations(touched: readonly TouchedConversation[], from: AppendSource): Promise<Reopened[]> {
    if (touched.length === 0) return [];
    return this.db.query(
      `WITH t AS (SELECT * FROM jsonb_to_recordset($1::jsonb)
                    AS t(tenant_id bigint, conversation_id bigint, inbound int, reset boolean, last_text text, replied boolean, answers boolean, waits boolean, reopen_by bigint)),
            touched AS (
              UPDATE conversations c
                 SET last_message_at = GREATEST(c.last_message_at, coalesce($2::timestamptz, now())), updated_at = now(), updated_by = $3,
                     unread_count = CASE WHEN t.reset THEN t.inbound ELSE c.unread_count + t.inbound END,
                     last_message_text = CASE WHEN coalesce($2::timestamptz, now()) >= coalesce(c.last_message_at, '-infinity') THEN t.last_text ELSE c.last_message_text END,
                     waiting_since = CASE WHEN NOT t.waits THEN (CASE WHEN t.replied THEN NULL ELSE c.waiting_since END)
                                          WHEN t.replied THEN coalesce($2::timestamptz, now())
                                          ELSE coalesce(c.waiting_since, $2::timestamptz, now()) END,
                     first_reply_at = CASE WHEN t.answers OR (t.replied AND c.waiting_since IS NOT NULL)
                                           THEN coalesce(c.first_reply_at, $2::timestamptz, now()) ELSE c.first_reply_at END,
                     status = CASE WHEN t.reopen_by IS NULL THEN c.status ELSE 'open' END,
                     snoozed_until = CASE WHEN t.reopen_by IS NULL THEN c.snoozed_until END,
                     resolved_at = CASE WHEN t.reopen_by IS NULL THEN c.resolved_at END
                FROM t, conversations o
               WHERE c.tenant_id = t.tenant_id AND c.id = t.conversation_id AND o.tenant_id = c.tenant_id AND o.id = c.id
              RETURNING c.tenant_id AS "tenantId", c.id AS "conversationId", o.status AS "fromStatus",
                        c.assignee_id AS "assigneeId", c.team_id AS "teamId", t.reopen_by AS "contactId")
       SELECT * FROM touched WHERE "contactId" IS NOT NULL AND "fromStatus" <> 'open'`,
      [
        JSON.stringify(
          touched.map((t) => ({
            tenant_id: t.tenantId,
            conversation_id: t.conversationId,
            inbound: t.inbound,
            reset: t.reset,
            last_text: t.lastText,
            replied: t.replied,
            answers: t.answers,
            waits: t.waits,
            reopen_by: t.reopenBy,
          })),
        ),
        from.at,
        from.actorId,
      ],
    );
  }

  // The conversation a message goes to, locked for the rest of the transaction (before the message
  // is written: see "Who locks what" in docs/architecture.md), with its state, its contact's
  // customer, and the ticket it became, if any; or null.
  async lockConversation(tenantId: number, conversationId: number): Promise<Omit<LockedConversation, 'contactId'> | null> {
    const [row]: { state: string; customer_id: number; ticket_id: number | null }[] = await this.db.query(
      `SELECT c.state, cc.customer_id, c.ticket_id
         FROM conversations c
         JOIN customer_contacts cc ON cc.tenant_id = c.tenant_id AND cc.id = c.contact_id
        WHERE c.tenant_id = $1 AND c.id = $2
          FOR NO KEY UPDATE OF c`,
      [tenantId, conversationId],
    );
    return row ? { tenantId, id: conversationId, state: row.state, customerId: row.customer_id, ticketId: row.ticket_id } : null;
  }

  // Every conversation a batch names, found by id alone (ids are unique across tenants), locked in
  // id order before anything of the batch is written: what is read here (deleted, converted) holds
  // until the batch commits.
  async lockConversations(ids: readonly number[]): Promise<Map<number, LockedConversation>> {
    if (ids.length === 0) return new Map();
    const rows: LockedConversation[] = await this.db.query(
      `SELECT c.tenant_id AS "tenantId", c.id, c.state, c.contact_id AS "contactId", cc.customer_id AS "customerId", c.ticket_id AS "ticketId"
         FROM conversations c
         JOIN customer_contacts cc ON cc.tenant_id = c.tenant_id AND cc.id = c.contact_id
        WHERE c.id = ANY($1::bigint[])
        ORDER BY c.id
          FOR NO KEY UPDATE OF c`,
      [ids],
    );
    return new Map(rows.map((row) => [row.id, row]));
  }

  // The conversation of a message, locked as above before the message itself is: null when the
  // tenant has no such message. A message never changes conversation.
  async lockConversationOfMessage(tenantId: number, messageId: number): Promise<number | null> {
    const [row]: { id: number }[] = await this.db.query(
      `SELECT c.id FROM conversations c
        WHERE c.tenant_id = $1 AND c.id = (SELECT m.conversation_id FROM conversation_messages m WHERE m.tenant_id = $1 AND m.id = $2)
          FOR NO KEY UPDATE`,
      [tenantId, messageId],
    );
    return row?.id ?? null;
  }

  async update(tenantId: number, id: number, changes: Record<string, unknown>): Promise<void> {
    await this.db.manager.update(ConversationMessage, { tenantId, id }, changes);
  }

  // Soft delete of an active message; whether it was one.
  async softDelete(tenantId: number, id: number, actorId: number): Promise<boolean> {
    const result = await this.db.manager.update(ConversationMessage, { tenantId, id, state: 'active' }, softDeleted(actorId));
    return result.affected !== 0;
  }

  // After an edit, delete or restore: the conversation's last-message text is its latest active
  // public message's again (a note is never the last message).
  async refreshLastMessageText(tenantId: number, conversationId: number): Promise<void> {
    await this.db.query(
      `UPDATE conversations c
          SET last_message_text = (SELECT m.message FROM conversation_messages m
                                    WHERE m.tenant_id = $1 AND m.conversation_id = $2 AND m.state = 'active' AND NOT m.private
                                    ORDER BY m.created_at DESC, m.id DESC LIMIT 1)
        WHERE c.tenant_id = $1 AND c.id = $2`,
      [tenantId, conversationId],
    );
  }

  // Whether the file is attached to an active public message of the conversation (a note's files
  // are the agents').
  async isPublicFileAttached(tenantId: number, conversationId: number, fileId: number): Promise<boolean> {
    const [row]: { attached: boolean }[] = await this.db.query(
      `SELECT EXISTS (
         SELECT 1 FROM conversation_messages m
          WHERE m.tenant_id = $1 AND m.conversation_id = $2 AND m.state = 'active' AND NOT m.private AND $3 = ANY (m.file_ids)) AS attached`,
      [tenantId, conversationId, fileId],
    );
    return row.attached;
  }

  // The conversation's active messages as a relation the tickets module selects from (see
  // ChatRelation): its transcript, which the reader orders by (created_at, id); notes stay notes.
  transcriptRelation(tenantId: number, conversationId: number): ChatRelation {
    return {
      sql: (first) =>
        `SELECT tenant_id, id, user_id, contact_id, message, file_ids, created_at, created_by, private FROM conversation_messages
          WHERE tenant_id = $${first} AND conversation_id = $${first + 1} AND state = 'active'`,
      params: [tenantId, conversationId],
    };
  }

  // Messages just stored, as a relation for the copies to their tickets' threads, each with the
  // customer of its author contact (see ChatRelation).
  postedRelation(messages: readonly { tenantId: number; id: number; contactCustomerId: number | null }[]): ChatRelation {
    return {
      sql: (first) =>
        `SELECT m.tenant_id, m.id, m.conversation_id, m.user_id, m.contact_id, m.message, m.file_ids, m.created_at, m.created_by, m.private,
                r.contact_customer_id
           FROM jsonb_to_recordset($${first}::jsonb) AS r(tenant_id bigint, id bigint, contact_customer_id bigint)
           JOIN conversation_messages m ON m.tenant_id = r.tenant_id AND m.id = r.id`,
      params: [JSON.stringify(messages.map((m) => ({ tenant_id: m.tenantId, id: m.id, contact_customer_id: m.contactCustomerId })))],
    };
  }

  // The text of the conversation's first active public message that has any: a ticket's subject
  // (a note's text never is).
  async firstMessageText(tenantId: number, conversationId: number): Promise<string | null> {
    const [row]: { message: string }[] = await this.db.query(
      `SELECT message FROM conversation_messages
        WHERE tenant_id = $1 AND conversation_id = $2 AND state = 'active' AND NOT private AND message <> ''
        ORDER BY created_at, id LIMIT 1`,
      [tenantId, conversationId],
    );
    return row?.message ?? null;
  }

}
