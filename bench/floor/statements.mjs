// The SQL the floors run: copies of the statements the service sends for each benchmarked
// endpoint, as captured from the running service (`npm run bench -- --trace-sql FILE`, see
// bench/README.md) and as written in the repositories named beside each one. TypeORM's generated
// SELECTs are written here with the same columns, tables, conditions and order; only their column
// aliases differ (they name the JSON keys, nothing PostgreSQL does). When the service's statements
// change, these must follow, or the floor stops being the floor of that endpoint.

// apps/api/src/auth/api-keys.service.ts authenticate(): every authenticated request.
export const KEY_LOOKUP = `SELECT k.id, k.tenant_id, k.user_id, u.role, k.secret_hash, k.last_used_at, t.location_id
         FROM api_keys k
         JOIN users u ON u.tenant_id = k.tenant_id AND u.id = k.user_id AND u.state = 'active'
         JOIN tenants t ON t.id = k.tenant_id AND t.state = 'active'
        WHERE k.lookup = $1 AND k.state = 'active'`;

// ApiKeysService.touch(): at most once a minute per key, off the request's path.
export const KEY_TOUCH = `UPDATE api_keys SET last_used_at = now()
          WHERE tenant_id = $1 AND id = $2 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`;

const AUDIT = 'state, created_at, created_by, updated_at, updated_by, deleted_at, deleted_by';

// The Conversation entity's columns (Database.columnsOf), with the workflow's.
const CONVERSATION_COLUMNS = `${AUDIT}, tenant_id, id, contact_id, socket_id, ticket_id, last_message_at, token_issued_at,
  widget_online, widget_online_at, unread_count, starred, inbox, type, feedback,
  status, priority, assignee_id, team_id, label_ids, snoozed_until, waiting_since, first_reply_at, resolved_at`;

// ConversationsRepository.findById.
export const CONVERSATION_BY_ID = `SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE tenant_id = $1 AND id = $2`;

// ConversationsRepository.findByIdForUpdate (conversion): TypeORM's select of the entity, locked.
export const CONVERSATION_FOR_UPDATE = `SELECT ${CONVERSATION_COLUMNS} FROM conversations c WHERE c.tenant_id = $1 AND c.id = $2 FOR NO KEY UPDATE`;

const CONTACT_COLUMNS = `${AUDIT}, tenant_id, id, customer_id, type, value, is_main`;

// ContactsService.findContactsByIds / IncludedLoader contacts; $2 the ids.
export const CONTACTS_BY_IDS = `SELECT ${CONTACT_COLUMNS} FROM customer_contacts WHERE tenant_id = $1 AND id = ANY($2::bigint[]) ORDER BY id`;

// ConversationsRepository.participantIds.
export const PARTICIPANTS_OF = `SELECT conversation_id, user_id FROM conversation_users
        WHERE tenant_id = $1 AND conversation_id = ANY($2::bigint[])
        ORDER BY created_at, user_id`;

// ConversationsRepository.latestMessageIds.
// Rows of list 'all' are the agents' refs; 'public' rows (the customer's) come only for a
// conversation with a note among its latest.
export const LATEST_MESSAGE_IDS = `WITH latest AS (
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
        ORDER BY created_at, id`;

// ConversationsRepository.onlineMembers.
export const ONLINE_MEMBERS = `SELECT conversation_id, member FROM conversation_members
        WHERE tenant_id = $1 AND conversation_id = ANY($2::bigint[]) AND online
        ORDER BY conversation_id, member`;

// IncludedLoader users (UsersService.findByIds); $2 the ids.
export const USERS_BY_IDS = `SELECT ${AUDIT}, tenant_id, id, email, first_name, last_name, role, availability, availability_changed_at FROM users WHERE tenant_id = $1 AND id = ANY($2::bigint[]) ORDER BY id`;

// --- POST /conversationmessages.json: MessagesService.post, MessagesRepository --------------------

// MessagesRepository.lockConversation: the conversation locked first (docs/architecture.md's lock
// order), its ticket read under the lock.
export const MESSAGE_CONVERSATION = `SELECT c.state, cc.customer_id, c.ticket_id
         FROM conversations c
         JOIN customer_contacts cc ON cc.tenant_id = c.tenant_id AND cc.id = c.contact_id
        WHERE c.tenant_id = $1 AND c.id = $2
          FOR NO KEY UPDATE OF c`;

// The message's columns under the entity's property names (MessagesRepository builds the list from
// the entity's metadata): the insert answers the whole message.
const MESSAGE_RETURNING = `state AS "state", created_at AS "createdAt", created_by AS "createdBy", updated_at AS "updatedAt", updated_by AS "updatedBy", deleted_at AS "deletedAt", deleted_by AS "deletedBy", tenant_id AS "tenantId", id AS "id", conversation_id AS "conversationId", user_id AS "userId", contact_id AS "contactId", message AS "message", client_message_id AS "clientMessageId", file_ids AS "fileIds", direction AS "direction", status AS "status", message_type AS "messageType", source AS "source", private AS "isPrivate", mention_ids AS "mentionIds"`;

// MessagesRepository.insertMessages: every door's messages (a Desk post is a batch of one), $1 rows
// with their `position`, inserted in that order; $2 the batch's time (null: the transaction's),
// $3 the agent behind it, $4 the source.
export const MESSAGES_INSERT = `INSERT INTO conversation_messages
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
       RETURNING ${MESSAGE_RETURNING}`;

// MessagesRepository.touchConversations: $1 what the new messages change of each conversation
// (touchedConversations below), $2 their time (null: the transaction's), $3 the agent behind them;
// with the workflow's waitingSince, firstReplyAt and reopening, answering the conversations reopened.
export const MESSAGES_TOUCH_CONVERSATIONS = `WITH t AS (SELECT * FROM jsonb_to_recordset($1::jsonb)
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
       SELECT * FROM touched WHERE "contactId" IS NOT NULL AND "fromStatus" <> 'open'`;

// MESSAGES_INSERT's $1 for messages in their order (live chat).
export function newMessages(messages) {
  return JSON.stringify(messages.map((m, position) => ({ ...m, message_type: 'TYPE_LIVE_CHAT', private: false, mention_ids: [], position })));
}

// MESSAGES_TOUCH_CONVERSATIONS's $1 for created messages (message-rules.ts touchedBy): per
// conversation, an agent's message reads it, the customer's after that count as unread, and the
// latest text is the last one's; an agent's reply answers what waited, a customer's message waits
// and reopens (the bench posts no private notes).
export function touchedConversations(created) {
  const touched = new Map();
  for (const m of created) {
    const t = touched.get(m.conversationId) ?? {
      tenant_id: m.tenantId, conversation_id: m.conversationId, inbound: 0, reset: false, last_text: m.message, replied: false, answers: false, waits: false, reopen_by: null,
    };
    if (m.contactId === null) Object.assign(t, { inbound: 0, reset: true, replied: true, answers: t.answers || t.waits, waits: false });
    else Object.assign(t, { inbound: t.inbound + 1, waits: true, reopen_by: t.reopen_by ?? m.contactId });
    t.last_text = m.message;
    touched.set(m.conversationId, t);
  }
  return JSON.stringify([...touched.values()]);
}

// LiveEvents.publish: the live update, in the transaction of the change.
// The webhooks module's fan-out test (webhook-fan-out.sql.ts) is part of it.
export const OUTBOX_INSERT = `INSERT INTO outbox (tenant_id, topic, payload, created_by, webhooks_pending)
       SELECT r.tenant_id, $2, r.payload, r.created_by, r.agents AND EXISTS (SELECT 1 FROM webhook_subscriptions s WHERE s.tenant_id = r.tenant_id AND s.state = 'active')
         FROM jsonb_to_recordset($1::jsonb) AS r(tenant_id bigint, payload jsonb, created_by bigint, agents boolean)`;

// --- GET /conversations/{id}/messages.json: runList over MessagesRepository.list ------------------

const LIST_COLUMNS = `m.state, m.created_at, m.created_by, m.updated_at, m.updated_by, m.deleted_at, m.deleted_by, m.tenant_id, m.id,
  m.conversation_id, m.user_id, m.contact_id, m.message, m.client_message_id, m.file_ids, m.direction, m.status, m.message_type,
  m.source, m.private, m.mention_ids, (m.created_at)::text AS list_cursor_value`;

// The first page: OFFSET, the limit and offset written into the SQL as TypeORM does.
export const messagesPage = (limit, offset) => `SELECT ${LIST_COLUMNS} FROM conversation_messages m
  WHERE m.tenant_id = $1 AND m.conversation_id = $2 AND m.state = 'active'
  ORDER BY m.created_at ASC, m.id ASC LIMIT ${Number(limit)} OFFSET ${Number(offset)}`;

// A page reached by cursor: the keyset condition.
export const messagesPageAfter = (limit) => `SELECT ${LIST_COLUMNS} FROM conversation_messages m
  WHERE m.tenant_id = $1 AND m.conversation_id = $2 AND m.state = 'active' AND (m.created_at, m.id) > (CAST($3 AS timestamptz), $4)
  ORDER BY m.created_at ASC, m.id ASC LIMIT ${Number(limit)}`;

// The count runList runs beside every page (meta.page.count and pages).
export const MESSAGES_COUNT = `SELECT COUNT(1) AS cnt FROM conversation_messages m
  WHERE m.tenant_id = $1 AND m.conversation_id = $2 AND m.state = 'active'`;

// --- POST /conversationmessages/webhooks.json: PusherWebhooksService, then the core's MessagesService.append

// MessagesRepository.lockConversations: every conversation of the batch locked first, in id order.
export const WEBHOOK_CONVERSATIONS = `SELECT c.tenant_id AS "tenantId", c.id, c.state, c.contact_id AS "contactId", cc.customer_id AS "customerId", c.ticket_id AS "ticketId"
         FROM conversations c
         JOIN customer_contacts cc ON cc.tenant_id = c.tenant_id AND cc.id = c.contact_id
        WHERE c.id = ANY($1::bigint[])
        ORDER BY c.id
          FOR NO KEY UPDATE OF c`;

export const WEBHOOK_INSERT_EVENTS = `INSERT INTO webhook_events (tenant_id, dedupe_key, conversation_id, name, channel, event, user_id, socket_id, data, time_ms, outcome, reason)
       SELECT e.tenant_id, e.dedupe_key, e.conversation_id, e.name, e.channel, e.event, e.user_id, e.socket_id, e.data, $2, e.outcome, e.reason
         FROM jsonb_to_recordset($1::jsonb) AS e(
                tenant_id bigint, dedupe_key text, conversation_id bigint, name text, channel text, event text,
                user_id text, socket_id text, data text, outcome text, reason text)
        ORDER BY e.dedupe_key COLLATE "C"
       ON CONFLICT (dedupe_key) DO NOTHING
       RETURNING dedupe_key`;

// The batch's messages: MESSAGES_INSERT, then MESSAGES_TOUCH_CONVERSATIONS (above).

// --- POST /conversations/{id}/convert.json: ConversionService, TicketsService --------------------

// MessagesRepository.firstMessageText: the ticket's subject (a note's text never is).
export const FIRST_MESSAGE_TEXT = `SELECT message FROM conversation_messages
        WHERE tenant_id = $1 AND conversation_id = $2 AND state = 'active' AND NOT private AND message <> ''
        ORDER BY created_at, id LIMIT 1`;

// ContactsService.findCustomer (deleted ones too; TicketRefs.activeCustomer checks the state).
export const CUSTOMER_BY_ID = `SELECT ${AUDIT}, tenant_id, id, first_name, last_name, email, organization, extra_data, notes, phone, mobile,
  address, external_id, job_title FROM customers WHERE ((tenant_id = $1) AND (id = $2)) LIMIT 1`;

const SETTING_COLUMNS = `${AUDIT}, tenant_id, id, name, code, color, display_order, is_default`;
// TicketSettingsRepository.findActiveBy: the asked columns first, then the tenant and the state.
export const DEFAULT_INBOX = `SELECT ${SETTING_COLUMNS}, email, aliases FROM inboxes WHERE ((is_default = $1) AND (tenant_id = $2) AND (state = $3)) LIMIT 1`;
export const defaultSetting = (table) =>
  `SELECT ${SETTING_COLUMNS} FROM ${table} WHERE ((is_default = $1) AND (tenant_id = $2) AND (state = $3)) LIMIT 1`;
export const CHAT_SOURCE = `SELECT ${SETTING_COLUMNS} FROM ticket_sources WHERE ((code = $1) AND (tenant_id = $2) AND (state = $3)) LIMIT 1`;

export const TICKET_INSERT = `INSERT INTO tickets(state, created_at, created_by, updated_at, updated_by, deleted_at, deleted_by, tenant_id, id, subject,
  preview_text, customer_id, contact_id, agent_id, inbox_id, status_id, priority_id, type_id, source_id, parent_id, conversation_id, cc, bcc,
  file_ids, edit_method, send_from, is_read, message_count)
  VALUES (DEFAULT, DEFAULT, $1, DEFAULT, $2, DEFAULT, DEFAULT, $3, DEFAULT, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
  $19, $20, DEFAULT, DEFAULT)
  RETURNING state, created_at, updated_at, id, preview_text, cc, bcc, file_ids, edit_method, is_read, message_count`;

// TicketsRepository.insertTranscript over MessagesRepository.transcriptRelation: the transcript
// copied in the database by one statement (editMethod html: escaped); $1 the ticket, $2 the edit
// method, $3 and $4 the tenant and the conversation. A private note is a note in the thread too.
export const TICKET_COPY_TRANSCRIPT = `WITH copied AS (
  INSERT INTO ticket_messages (tenant_id, ticket_id, thread_type, message, edit_method, user_id, contact_id, file_ids, conversation_message_id,
    created_at, created_by, updated_at, updated_by)
  SELECT m.tenant_id, $1, CASE WHEN m.private THEN 'note' ELSE 'message' END,
    '<p>' || replace(replace(replace(replace(replace(replace(m.message, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '''', '&#39;'), E'\\n', '<br>') || '</p>',
    $2, m.user_id, m.contact_id, m.file_ids, m.id, m.created_at, m.created_by, m.created_at, m.created_by
    FROM (SELECT tenant_id, id, user_id, contact_id, message, file_ids, created_at, created_by, private FROM conversation_messages
      WHERE tenant_id = $3 AND conversation_id = $4 AND state = 'active') m
   ORDER BY m.created_at, m.id
  RETURNING 1)
SELECT count(*)::int AS inserted FROM copied`;

export const TICKET_SET_MESSAGE_COUNT = `UPDATE tickets SET message_count = $1 WHERE (tenant_id = $2 AND id = $3)`;

export const TICKET_SET_TAGS = `WITH removed AS (
  DELETE FROM ticket_tags WHERE tenant_id = $1 AND ticket_id = $2 AND NOT (tag_id = ANY($3)) RETURNING 1),
added AS (
  INSERT INTO ticket_tags (tenant_id, ticket_id, tag_id, created_by)
  SELECT $1, $2, t.id, $4 FROM unnest($3::bigint[]) AS t(id) ON CONFLICT DO NOTHING RETURNING 1)
SELECT (SELECT count(*) FROM removed)::int AS removed, (SELECT count(*) FROM added)::int AS added`;

export const CONVERSATION_MARK_CONVERTED = `UPDATE conversations SET ticket_id = $1, updated_at = now(), updated_by = $2 WHERE (tenant_id = $3 AND id = $4)`;

// ActivitiesRepository.insert (ActivityLog.record): the conversion's `converted` activity, $1 the
// rows; answers them as stored (the ConversationActivity entity's columns), for its live event.
export const ACTIVITIES_INSERT = `INSERT INTO conversation_activities (tenant_id, conversation_id, type, from_value, to_value, reason, actor_type, actor_id)
       SELECT r.tenant_id, r.conversation_id, r.type, r.from_value, r.to_value, r.reason, r.actor_type, r.actor_id
         FROM jsonb_to_recordset($1::jsonb)
           AS r(tenant_id bigint, conversation_id bigint, type text, from_value jsonb, to_value jsonb, reason text, actor_type text, actor_id bigint)
       RETURNING tenant_id AS "tenantId", id AS "id", conversation_id AS "conversationId", type AS "type", from_value AS "fromValue",
         to_value AS "toValue", reason AS "reason", actor_type AS "actorType", actor_id AS "actorId", created_at AS "createdAt"`;

export const TICKET_BY_ID = `SELECT ${AUDIT}, tenant_id, id, subject, preview_text, customer_id, contact_id, agent_id, inbox_id, status_id,
  priority_id, type_id, source_id, parent_id, conversation_id, cc, bcc, file_ids, edit_method, send_from, is_read, message_count
  FROM tickets WHERE ((tenant_id = $1) AND (id = $2)) LIMIT 1`;

export const TICKET_TAGS = `SELECT tt.ticket_id, tt.tag_id FROM ticket_tags tt WHERE tt.tenant_id = $1 AND tt.ticket_id = ANY($2) ORDER BY tt.ticket_id, tt.tag_id`;

export const TICKET_FIELD_VALUES = `SELECT v.ticket_id, v.custom_field_id, v.value FROM ticket_custom_field_values v
  WHERE v.tenant_id = $1 AND v.ticket_id = ANY($2) ORDER BY v.ticket_id, v.custom_field_id`;

export const TICKET_LATEST_MESSAGE_IDS = `SELECT t.id AS ticket_id, latest.id FROM unnest($2::bigint[]) AS t(id)
  CROSS JOIN LATERAL (
    SELECT tm.id FROM ticket_messages tm WHERE tm.tenant_id = $1 AND tm.ticket_id = t.id AND tm.state = 'active'
     ORDER BY tm.id DESC LIMIT 100) latest
  ORDER BY t.id, latest.id`;

// --- GET /conversations/search (HighLevel): ConversationSearchRepository.search ------------------

// The search's order: the last message's (or the start's) whole millisecond of UTC, then the id.
const HL_SORT_KEY = "date_trunc('milliseconds', coalesce(c.last_message_at, c.created_at) AT TIME ZONE 'UTC')";

const HL_SUMMARY_COLUMNS = `
  c.id, c.contact_id AS "contactId", c.state, c.created_at AS "createdAt", c.updated_at AS "updatedAt",
  c.last_message_at AS "lastMessageAt", c.unread_count AS "unreadCount", c.starred, c.inbox, c.type,
  c.assignee_id AS "assignedTo",
  lm.message AS "lastMessageBody", lm.message_type AS "lastMessageType", lm.direction AS "lastMessageDirection",
  p.first_name AS "firstName", p.last_name AS "lastName", p.email, coalesce(p.phone, p.mobile) AS phone,
  cc.type AS "contactType", cc.value AS "contactValue", p.organization,
  (extract(epoch FROM ${HL_SORT_KEY}) * 1000)::bigint AS "sortMs"`;

const HL_SUMMARY_FROM = `
  conversations c
  JOIN customer_contacts cc ON cc.tenant_id = c.tenant_id AND cc.id = c.contact_id
  JOIN customers p ON p.tenant_id = cc.tenant_id AND p.id = cc.customer_id
  LEFT JOIN LATERAL (
    SELECT m.message, m.message_type, m.direction FROM conversation_messages m
     WHERE m.tenant_id = c.tenant_id AND m.conversation_id = c.id AND m.state = 'active' AND NOT m.private
     ORDER BY m.created_at DESC, m.id DESC LIMIT 1) lm ON true`;

// search(): status all, a query, no cursor; $2 the ILIKE pattern, $3 the limit. A query matches
// through either branch of a UNION, each served by trigram indexes (migrations/1764400000000-search.ts).
const HL_MATCH_BRANCHES = [
  `c.last_message_text ILIKE $2`,
  `c.contact_id IN (
         SELECT cc.id FROM customer_contacts cc WHERE cc.tenant_id = $1 AND cc.customer_id IN (
           SELECT mp.id FROM customers mp WHERE mp.tenant_id = $1 AND (mp.first_name || ' ' || mp.last_name || E'\\x1f' || coalesce(mp.email, '') || E'\\x1f' || coalesce(mp.phone, '') || E'\\x1f' || coalesce(mp.mobile, '')) ILIKE $2
           UNION ALL
           SELECT mx.customer_id FROM customer_contacts mx WHERE mx.tenant_id = $1 AND mx.state = 'active' AND mx.value ILIKE $2))`,
];

// search() with a query: one statement, the matches found once, counted, and paged.
export const HL_SEARCH = `WITH filtered AS MATERIALIZED (${HL_MATCH_BRANCHES.map(
  (branch) => `SELECT c.id, ${HL_SORT_KEY} AS sort_key FROM conversations c WHERE c.tenant_id = $1 AND c.state = 'active' AND ${branch}`,
).join(' UNION ')})
         SELECT (SELECT count(*)::int FROM filtered) AS "searchTotal", s.*
           FROM (SELECT 1) one LEFT JOIN (
             SELECT ${HL_SUMMARY_COLUMNS} FROM (
               SELECT f.id FROM filtered f WHERE true ORDER BY f.sort_key DESC, f.id DESC LIMIT $3) page
               JOIN ${HL_SUMMARY_FROM.replace('conversations c', 'conversations c ON c.tenant_id = $1 AND c.id = page.id')}) s ON true
          ORDER BY s."sortMs" DESC, s.id DESC`;

// apps/api/src/conversations/queues/queue-counts.repository.ts (COUNTS): GET conversations/counts.json.
export const QUEUE_COUNTS = `
  SELECT (SELECT coalesce(jsonb_object_agg(s.status, s.n), '{}')
            FROM (SELECT status, sum(delta) AS n FROM conversation_status_counts WHERE tenant_id = $1 GROUP BY status) s) AS status,
         (SELECT count(*) FROM conversations
           WHERE tenant_id = $1 AND state = 'active' AND assignee_id = $2 AND status = 'open')::int AS mine,
         (SELECT count(*) FROM conversations
           WHERE tenant_id = $1 AND state = 'active' AND assignee_id IS NULL AND status = 'open')::int AS unassigned,
         (SELECT coalesce(jsonb_agg(jsonb_build_object('teamId', t.id, 'open', q.unassigned + q.assigned, 'unassigned', q.unassigned) ORDER BY t.id), '[]')
            FROM team_members tm
            JOIN teams t ON t.tenant_id = tm.tenant_id AND t.id = tm.team_id AND t.state = 'active'
            CROSS JOIN LATERAL (
              SELECT (SELECT count(*) FROM conversations c
                       WHERE c.tenant_id = $1 AND c.team_id = t.id AND c.state = 'active' AND c.status = 'open' AND c.assignee_id IS NULL)::int AS unassigned,
                     (SELECT count(*) FROM conversations c
                       WHERE c.tenant_id = $1 AND c.team_id = t.id AND c.state = 'active' AND c.status = 'open' AND c.assignee_id IS NOT NULL)::int AS assigned) q
           WHERE tm.tenant_id = $1 AND tm.user_id = $2) AS teams`;
