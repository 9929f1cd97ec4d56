import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Database } from '@app/database';
import { ConversationMessage, MessageDirection } from '../messages/conversation-message.entity';
import { NewMessage } from '../messages/messages.repository';
import { StoredEvent } from './pusher-events';

// The conversation a webhook event names by its channel, found by id alone (ids are unique across
// tenants): from here on every statement is scoped by the tenant found.
export interface WebhookConversation {
  tenantId: number;
  id: number;
  state: string;
  contactId: number;
  customerId: number;
  // The ticket the conversation became, if any.
  ticketId: number | null;
}

export interface NewWebhookEvent extends StoredEvent {
  tenantId: number | null;
  conversationId: number | null;
  outcome: 'message' | 'applied' | 'ignored' | 'conflict';
  reason: string | null;
}

// A widget's message: no agent behind it, and always a client id (the widget's, or one derived).
export type NewWebhookMessage = Omit<NewMessage, 'actorId' | 'clientMessageId'> & { clientMessageId: string };

export interface MessageKey {
  tenantId: number;
  conversationId: number;
  direction: MessageDirection;
  clientMessageId: string;
}

export interface StateChange {
  tenantId: number;
  conversationId: number;
  online: boolean;
}

export interface MemberChange extends StateChange {
  member: string;
}

export interface TouchedConversation {
  tenantId: number;
  conversationId: number;
  at: Date;
  // The customer's new messages that count as unread, and whether an agent's message came first.
  inbound: number;
  reset: boolean;
  // The text of the batch's latest message there (all share the batch's time: the last in its order).
  lastText: string;
}

// Everything the webhook receiver reads and writes, each a single statement over the whole batch.
@Injectable()
export class WebhooksRepository {
  constructor(private readonly db: Database) {}

  // Locked in id order before anything of the batch is written (see "Who locks what" in
  // docs/architecture.md): what is read here (deleted, converted) holds until the batch commits.
  async lockConversations(manager: EntityManager, ids: readonly number[]): Promise<Map<number, WebhookConversation>> {
    if (ids.length === 0) return new Map();
    const rows: WebhookConversation[] = await manager.query(
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

  // Which of the named agents are active in their tenant, and which contacts are active, with
  // their customer; keys like `7:user-12` (tenant 7). One query for both.
  async findMembers(manager: EntityManager, refs: readonly { tenantId: number; kind: 'user' | 'contact'; id: number }[]): Promise<Map<string, number | null>> {
    if (refs.length === 0) return new Map();
    const rows: { key: string; customer_id: number | null }[] = await manager.query(
      `WITH ref AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(tenant_id bigint, kind text, id bigint))
       SELECT r.tenant_id || ':user-' || u.id AS key, NULL::bigint AS customer_id
         FROM ref r JOIN users u ON u.tenant_id = r.tenant_id AND u.id = r.id AND u.state = 'active'
        WHERE r.kind = 'user'
       UNION ALL
       SELECT r.tenant_id || ':contact-' || cc.id, cc.customer_id
         FROM ref r JOIN customer_contacts cc ON cc.tenant_id = r.tenant_id AND cc.id = r.id AND cc.state = 'active'
        WHERE r.kind = 'contact'`,
      [JSON.stringify(refs.map((r) => ({ tenant_id: r.tenantId, kind: r.kind, id: r.id })))],
    );
    return new Map(rows.map((row) => [row.key, row.customer_id]));
  }

  // The active files among those named, as `tenant:id`, each with the conversation it was
  // uploaded for (null: an agent's upload).
  async findActiveFiles(manager: EntityManager, refs: readonly { tenantId: number; id: number }[]): Promise<Map<string, number | null>> {
    if (refs.length === 0) return new Map();
    const rows: { key: string; conversation_id: number | null }[] = await manager.query(
      `SELECT f.tenant_id || ':' || f.id AS key, f.conversation_id
         FROM unnest($1::bigint[], $2::bigint[]) AS r(tenant_id, id)
         JOIN files f ON f.tenant_id = r.tenant_id AND f.id = r.id AND f.state = 'active'`,
      [refs.map((r) => r.tenantId), refs.map((r) => r.id)],
    );
    return new Map(rows.map((row) => [row.key, row.conversation_id]));
  }

  // Stores the events whose keys are new and answers those keys. In key order, so two batches
  // sharing events take their locks in one order, and a process receiving a batch another is still
  // storing waits for it, then finds its keys taken.
  async insertEvents(manager: EntityManager, events: readonly NewWebhookEvent[], timeMs: number): Promise<Set<string>> {
    if (events.length === 0) return new Set();
    const rows: { dedupe_key: string }[] = await manager.query(
      `INSERT INTO webhook_events (tenant_id, dedupe_key, conversation_id, name, channel, event, user_id, socket_id, data, time_ms, outcome, reason)
       SELECT e.tenant_id, e.dedupe_key, e.conversation_id, e.name, e.channel, e.event, e.user_id, e.socket_id, e.data, $2, e.outcome, e.reason
         FROM jsonb_to_recordset($1::jsonb) AS e(
                tenant_id bigint, dedupe_key text, conversation_id bigint, name text, channel text, event text,
                user_id text, socket_id text, data text, outcome text, reason text)
        ORDER BY e.dedupe_key COLLATE "C"
       ON CONFLICT (dedupe_key) DO NOTHING
       RETURNING dedupe_key`,
      [
        JSON.stringify(
          events.map((e) => ({
            tenant_id: e.tenantId,
            dedupe_key: withoutNul(e.dedupeKey),
            conversation_id: e.conversationId,
            name: withoutNul(e.name),
            channel: withoutNul(e.channel),
            event: withoutNul(e.event),
            user_id: withoutNul(e.userId),
            socket_id: withoutNul(e.socketId),
            data: withoutNul(e.data),
            outcome: e.outcome,
            reason: withoutNul(e.reason),
          })),
        ),
        timeMs,
      ],
    );
    return new Set(rows.map((row) => row.dedupe_key));
  }

  // The messages, stamped with the batch's time so a late event sorts among its neighbours, and
  // inserted in the batch's order, so their ids (which order messages of one time) follow it; a
  // clientMessageId already stored on its side of its conversation (over REST, say) inserts nothing.
  async insertMessages(manager: EntityManager, messages: readonly NewWebhookMessage[], at: Date): Promise<ConversationMessage[]> {
    if (messages.length === 0) return [];
    const rows: ConversationMessage[] = await manager.query(
      `INSERT INTO conversation_messages
         (tenant_id, conversation_id, user_id, contact_id, message, file_ids, client_message_id, created_at, updated_at, status, source)
       SELECT m.tenant_id, m.conversation_id, m.user_id, m.contact_id, m.message,
              ARRAY(SELECT jsonb_array_elements_text(m.file_ids)::bigint), m.client_message_id, $2, $2,
              CASE WHEN m.contact_id IS NULL THEN 'sent' ELSE 'delivered' END, 'app'
         FROM jsonb_to_recordset($1::jsonb) AS m(
                tenant_id bigint, conversation_id bigint, user_id bigint, contact_id bigint, message text,
                file_ids jsonb, client_message_id text, position int)
        ORDER BY m.position
       ON CONFLICT (tenant_id, conversation_id, direction, client_message_id) WHERE client_message_id IS NOT NULL DO NOTHING
       RETURNING ${this.db.columnsOf(ConversationMessage)}`,
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
            position,
          })),
        ),
        at,
      ],
    );
    return rows;
  }

  async findMessages(manager: EntityManager, keys: readonly MessageKey[]): Promise<ConversationMessage[]> {
    if (keys.length === 0) return [];
    const rows: ConversationMessage[] = await manager.query(
      `SELECT ${this.db.columnsOf(ConversationMessage)}
         FROM conversation_messages
        WHERE (tenant_id, conversation_id, direction, client_message_id) IN (
                SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]))`,
      [keys.map((k) => k.tenantId), keys.map((k) => k.conversationId), keys.map((k) => k.direction), keys.map((k) => k.clientMessageId)],
    );
    return rows;
  }

  // Events recorded by this batch that turn out to conflict: they are recorded again under their
  // conflict keys, and their message keys stay free.
  async forgetEvents(manager: EntityManager, dedupeKeys: readonly string[]): Promise<void> {
    if (dedupeKeys.length === 0) return;
    await manager.query(`DELETE FROM webhook_events WHERE dedupe_key = ANY($1::text[])`, [dedupeKeys.map(withoutNul)]);
  }

  // New messages move their conversations' last-message time and text (never back) and updatedAt, and their
  // unread count: an agent's message in the batch reads the conversation, so it counts from the
  // customer's messages after the last of those (`reset`). The batch locked its conversations first
  // (lockConversations, in id order), so batches touching the same conversations cannot deadlock.
  async touchConversations(manager: EntityManager, touched: readonly TouchedConversation[]): Promise<void> {
    if (touched.length === 0) return;
    await manager.query(
      `WITH t AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS t(tenant_id bigint, conversation_id bigint, at timestamptz, inbound int, reset boolean, last_text text))
       UPDATE conversations c
          SET last_message_at = GREATEST(c.last_message_at, t.at), updated_at = now(), updated_by = NULL,
              unread_count = CASE WHEN t.reset THEN t.inbound ELSE c.unread_count + t.inbound END,
              last_message_text = CASE WHEN t.at >= coalesce(c.last_message_at, '-infinity') THEN t.last_text ELSE c.last_message_text END
         FROM t
        WHERE c.tenant_id = t.tenant_id AND c.id = t.conversation_id`,
      [
        JSON.stringify(
          touched.map((t) => ({
            tenant_id: t.tenantId,
            conversation_id: t.conversationId,
            at: t.at.toISOString(),
            inbound: t.inbound,
            reset: t.reset,
            last_text: withoutNul(t.lastText),
          })),
        ),
      ],
    );
  }

  // Whether each widget is online, unless a later event has been recorded already. The
  // conversations whose state changed.
  async setWidgetOnline(manager: EntityManager, changes: readonly StateChange[], at: Date): Promise<StateChange[]> {
    if (changes.length === 0) return [];
    // An UPDATE answers [rows, count] through TypeORM.
    const [changed]: [StateChange[], number] = await manager.query(
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
  async setMembers(manager: EntityManager, changes: readonly MemberChange[], at: Date): Promise<MemberChange[]> {
    if (changes.length === 0) return [];
    return manager.query(
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

// PostgreSQL text cannot hold NUL, nor jsonb (the rows go through it) half of a UTF-16 surrogate
// pair; what Pusher relayed is kept, with U+FFFD in their place.
function withoutNul<T extends string | null>(value: T): T {
  return (value === null ? null : value.replace(UNSTORABLE, '\uFFFD')) as T;
}

const UNSTORABLE = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
