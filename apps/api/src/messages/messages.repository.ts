import { Injectable } from '@nestjs/common';
import { ListPage, ListQuery, ListSpec, runList } from '@app/common';
import { Database } from '@app/database';
import { EntityManager, In } from 'typeorm';
import { ConversationMessage, MessageDirection, MessageType } from './conversation-message.entity';

export interface NewMessage {
  tenantId: number;
  conversationId: number;
  userId: number | null;
  contactId: number | null;
  message: string;
  fileIds: number[];
  clientMessageId: string | null;
  actorId: number | null;
  // HighLevel's channel name; live chat unless said otherwise.
  messageType?: MessageType;
}

// Every query takes the tenant first.
@Injectable()
export class MessagesRepository {
  constructor(private readonly db: Database) {}

  // A statement that ends with these answers the message itself, with no second query to read it.
  private get columns(): string {
    return this.db.columnsOf(ConversationMessage);
  }

  async findById(tenantId: number, id: number, manager: EntityManager = this.db.manager): Promise<ConversationMessage | null> {
    return manager.findOneBy(ConversationMessage, { tenantId, id });
  }

  async findByIds(tenantId: number, ids: readonly number[]): Promise<ConversationMessage[]> {
    if (ids.length === 0) return [];
    return this.db.manager.find(ConversationMessage, { where: { tenantId, id: In([...new Set(ids)]) } });
  }

  // `conversationId` narrows the list to one conversation (its own index serves it).
  async list(tenantId: number, spec: ListSpec, query: ListQuery, conversationId?: number): Promise<ListPage<ConversationMessage>> {
    const qb = this.db.manager.createQueryBuilder(ConversationMessage, 'm').where('m.tenant_id = :tenantId', { tenantId });
    if (conversationId !== undefined) qb.andWhere('m.conversation_id = :conversationId', { conversationId });
    return runList(qb, spec, query, { scope: conversationId === undefined ? '' : `conversation:${conversationId}` });
  }

  // Inserts the message, or, when its clientMessageId is already stored on its side of that
  // conversation (the customer's or the agents'), nothing: then the message is the one stored and
  // `created` is false. Concurrent inserts of one clientMessageId wait on the unique index, so
  // exactly one creates.
  async insert(manager: EntityManager, m: NewMessage): Promise<{ message: ConversationMessage; created: boolean }> {
    const inserted: ConversationMessage[] = await manager.query(
      `INSERT INTO conversation_messages
         (tenant_id, conversation_id, user_id, contact_id, message, file_ids, client_message_id, created_by, updated_by, status, message_type)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, CASE WHEN $4::bigint IS NULL THEN 'sent' ELSE 'delivered' END, $9)
       ON CONFLICT (tenant_id, conversation_id, direction, client_message_id) WHERE client_message_id IS NOT NULL DO NOTHING
       RETURNING ${this.columns}`,
      [m.tenantId, m.conversationId, m.userId, m.contactId, m.message, m.fileIds, m.clientMessageId, m.actorId, m.messageType ?? 'TYPE_LIVE_CHAT'],
    );
    if (inserted.length > 0) return { message: inserted[0], created: true };
    const [existing]: ConversationMessage[] = await manager.query(
      `SELECT ${this.columns} FROM conversation_messages
        WHERE tenant_id = $1 AND conversation_id = $2 AND direction = $3 AND client_message_id = $4`,
      [m.tenantId, m.conversationId, directionOf(m), m.clientMessageId],
    );
    return { message: existing, created: false };
  }

  // The conversation a message goes to, locked for the rest of the transaction (before the message
  // is written: see "Who locks what" in docs/architecture.md): its state, its contact's customer,
  // and the ticket it became, if any; or null.
  async lockConversation(
    manager: EntityManager,
    tenantId: number,
    conversationId: number,
  ): Promise<{ state: string; customerId: number; ticketId: number | null } | null> {
    const [row]: { state: string; customer_id: number; ticket_id: number | null }[] = await manager.query(
      `SELECT c.state, cc.customer_id, c.ticket_id
         FROM conversations c
         JOIN customer_contacts cc ON cc.tenant_id = c.tenant_id AND cc.id = c.contact_id
        WHERE c.tenant_id = $1 AND c.id = $2
          FOR NO KEY UPDATE OF c`,
      [tenantId, conversationId],
    );
    return row ? { state: row.state, customerId: row.customer_id, ticketId: row.ticket_id } : null;
  }

  // The conversation of a message, locked as above before the message itself is: null when the
  // tenant has no such message. A message never changes conversation.
  async lockConversationOfMessage(manager: EntityManager, tenantId: number, messageId: number): Promise<number | null> {
    const [row]: { id: number }[] = await manager.query(
      `SELECT c.id FROM conversations c
        WHERE c.tenant_id = $1 AND c.id = (SELECT m.conversation_id FROM conversation_messages m WHERE m.tenant_id = $1 AND m.id = $2)
          FOR NO KEY UPDATE`,
      [tenantId, messageId],
    );
    return row?.id ?? null;
  }

  // A new message moves its conversation's last-message time and text (the search's) and updatedAt.
  // A customer's message adds to the unread count; an agent's reads the conversation.
  async touchConversation(manager: EntityManager, tenantId: number, conversationId: number, messageId: number, actorId: number | null): Promise<void> {
    await manager.query(
      `UPDATE conversations c
          SET last_message_at = GREATEST(c.last_message_at, m.created_at), updated_at = now(), updated_by = $4,
              unread_count = CASE WHEN m.contact_id IS NULL THEN 0 ELSE c.unread_count + 1 END,
              last_message_text = CASE WHEN m.created_at >= coalesce(c.last_message_at, '-infinity') THEN m.message ELSE c.last_message_text END
         FROM conversation_messages m
        WHERE c.tenant_id = $1 AND c.id = $2 AND m.tenant_id = $1 AND m.id = $3`,
      [tenantId, conversationId, messageId, actorId],
    );
  }

  // After an edit, delete or restore: the conversation's last-message text is its latest active
  // message's again.
  async refreshLastMessageText(manager: EntityManager, tenantId: number, conversationId: number): Promise<void> {
    await manager.query(
      `UPDATE conversations c
          SET last_message_text = (SELECT m.message FROM conversation_messages m
                                    WHERE m.tenant_id = $1 AND m.conversation_id = $2 AND m.state = 'active'
                                    ORDER BY m.created_at DESC, m.id DESC LIMIT 1)
        WHERE c.tenant_id = $1 AND c.id = $2`,
      [tenantId, conversationId],
    );
  }
}

// The side of the conversation a message is on, as the generated `direction` column computes it.
export function directionOf(m: { contactId: number | null }): MessageDirection {
  return m.contactId === null ? 'outbound' : 'inbound';
}

// Whether a message stored under a clientMessageId is the one a repeat describes: the same author,
// text and files. Anything else reuses the id for another message.
export function isSameMessage(
  stored: Pick<ConversationMessage, 'userId' | 'contactId' | 'message' | 'fileIds'>,
  repeat: { userId: number | null; contactId: number | null; message: string; fileIds: readonly number[] },
): boolean {
  return (
    stored.userId === repeat.userId &&
    stored.contactId === repeat.contactId &&
    stored.message === repeat.message &&
    stored.fileIds.length === repeat.fileIds.length &&
    stored.fileIds.every((id, index) => id === repeat.fileIds[index])
  );
}
