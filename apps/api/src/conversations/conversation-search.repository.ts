import { Injectable } from '@nestjs/common';
import { Database } from '@app/database';
import { normalizeContactQuery } from '../contacts/contact-normalization';
import { ConversationSummary, MessageSummary, SearchCriteria, SearchStatus } from './conversation-search.types';


// The search's order: when the last message came or, before any, when the conversation began, in
// whole milliseconds of UTC (the precision of the cursor it hands out), then the id. The same
// expression as the index ix_conversations_search_order, so that index serves it.
const SORT_KEY = `date_trunc('milliseconds', coalesce(c.last_message_at, c.created_at) AT TIME ZONE 'UTC')`;

// A customer's name, email, phone and mobile, as ix_customers_search indexes them (fields joined by
// U+001F, which no search term holds, so a term never spans two fields).
const CUSTOMER_SEARCH_TEXT = `mp.first_name || ' ' || mp.last_name || E'\\x1f' || coalesce(mp.email, '') || E'\\x1f' || coalesce(mp.phone, '') || E'\\x1f' || coalesce(mp.mobile, '')`;

const SUMMARY_COLUMNS = `
  c.id, c.contact_id AS "contactId", c.state, c.created_at AS "createdAt", c.updated_at AS "updatedAt",
  c.last_message_at AS "lastMessageAt", c.unread_count AS "unreadCount", c.starred, c.inbox, c.type,
  c.assignee_id AS "assignedTo",
  lm.message AS "lastMessageBody", lm.message_type AS "lastMessageType", lm.direction AS "lastMessageDirection",
  p.first_name AS "firstName", p.last_name AS "lastName", p.email, coalesce(p.phone, p.mobile) AS phone,
  cc.type AS "contactType", cc.value AS "contactValue", p.organization,
  (extract(epoch FROM ${SORT_KEY}) * 1000)::bigint AS "sortMs"`;

// What a conversation's summary shows besides its own row: its contact's person and its latest
// active public message (a note is never a conversation's last message).
const SUMMARY_JOINS = `
  JOIN customer_contacts cc ON cc.tenant_id = c.tenant_id AND cc.id = c.contact_id
  JOIN customers p ON p.tenant_id = cc.tenant_id AND p.id = cc.customer_id
  LEFT JOIN LATERAL (
    SELECT m.message, m.message_type, m.direction FROM conversation_messages m
     WHERE m.tenant_id = c.tenant_id AND m.conversation_id = c.id AND m.state = 'active' AND NOT m.private
     ORDER BY m.created_at DESC, m.id DESC LIMIT 1) lm ON true`;

// HighLevel's type of a message: an agents' private note is its TYPE_INTERNAL_COMMENT (HighLevel's
// own name for a comment only the team sees); the stored channel otherwise.
const HIGHLEVEL_MESSAGE_TYPE = `CASE WHEN m.private THEN 'TYPE_INTERNAL_COMMENT' ELSE m.message_type END`;

const MESSAGE_COLUMNS = `
  m.id, m.conversation_id AS "conversationId", c.contact_id AS "conversationContactId", m.user_id AS "userId",
  m.message, m.file_ids AS "fileIds", m.client_message_id AS "clientMessageId", m.created_at AS "createdAt",
  m.direction, m.status, ${HIGHLEVEL_MESSAGE_TYPE} AS "messageType", m.source`;

// The reads of HighLevel's shapes: conversations and messages as summaries, the search. Every
// query takes the tenant first.
@Injectable()
export class ConversationSearchRepository {
  constructor(private readonly db: Database) {}

  async summaries(tenantId: number, ids: readonly number[]): Promise<ConversationSummary[]> {
    if (ids.length === 0) return [];
    return this.db.query(`SELECT ${SUMMARY_COLUMNS} FROM conversations c ${SUMMARY_JOINS} WHERE c.tenant_id = $1 AND c.id = ANY($2::bigint[]) ORDER BY c.id`, [
      tenantId,
      [...new Set(ids)],
    ]);
  }

  // One page of the tenant's conversations (deleted ones never), and how many match in all.
  async search(tenantId: number, criteria: SearchCriteria): Promise<{ rows: ConversationSummary[]; total: number }> {
    const params: unknown[] = [tenantId];
    const param = (value: unknown) => `$${params.push(value)}`;
    const filtered = filterOf(criteria, param);
    const filterParams = params.slice();
    const branches = criteria.query === undefined ? null : matchBranches(criteria.query, param);
    const page = pageOf(criteria, param);
    if (branches) return this.searchMatching(branches.map((branch) => `${filtered} AND ${branch}`), page, params);

    const pageIds = `SELECT c.id FROM conversations c WHERE ${filtered} AND ${page.cursor(SORT_KEY, 'c.id')}
                      ORDER BY ${SORT_KEY} ${page.direction}, c.id ${page.direction} LIMIT ${page.limit}`;
    const [rows, [{ total }]] = await this.db.all(
      // The page's ids from the conversations alone, then what they show for those few only.
      () => this.db.query<ConversationSummary[]>(`${summariesOf(pageIds)} ORDER BY ${SORT_KEY} ${page.direction}, c.id ${page.direction}`, params),
      () => this.db.query<{ total: number }[]>(`SELECT count(*)::int AS total FROM conversations c WHERE ${filtered}`, filterParams),
    );
    return { rows, total };
  }

  // One statement: the matches (a UNION of branches, each served by its own trigram index) found
  // once, counted, and paged; the summaries of the page only.
  private async searchMatching(conditions: string[], page: Page, params: unknown[]): Promise<{ rows: ConversationSummary[]; total: number }> {
    const matching = conditions.map((where) => `SELECT c.id, ${SORT_KEY} AS sort_key FROM conversations c WHERE ${where}`);
    const pageIds = `SELECT f.id FROM filtered f WHERE ${page.cursor('f.sort_key', 'f.id')}
                      ORDER BY f.sort_key ${page.direction}, f.id ${page.direction} LIMIT ${page.limit}`;
    const rows: (ConversationSummary & { searchTotal: number })[] = await this.db.query(
      `WITH filtered AS MATERIALIZED (${matching.join(' UNION ')})
       SELECT (SELECT count(*)::int FROM filtered) AS "searchTotal", s.*
         FROM (SELECT 1) one LEFT JOIN (${summariesOf(pageIds)}) s ON true
        ORDER BY s."sortMs" ${page.direction}, s.id ${page.direction}`,
      params,
    );
    const total = rows[0].searchTotal;
    return { rows: rows.filter((row) => row.id !== null).map(({ searchTotal: _, ...row }) => row), total };
  }

  // Messages of one conversation, newest first, strictly older than the message `beforeId` when given.
  async messagesPage(
    tenantId: number,
    conversationId: number,
    options: { beforeId?: number; types?: string[]; limit: number },
  ): Promise<MessageSummary[]> {
    const params: unknown[] = [tenantId, conversationId];
    const param = (value: unknown) => `$${params.push(value)}`;
    const where = [`m.tenant_id = $1`, `m.conversation_id = $2`, `m.state = 'active'`];
    if (options.types) where.push(`${HIGHLEVEL_MESSAGE_TYPE} = ANY(${param(options.types)}::text[])`);
    // The cursor's own timestamp, to the microsecond (a Date would keep only milliseconds).
    if (options.beforeId !== undefined) {
      where.push(`(m.created_at, m.id) < (SELECT x.created_at, x.id FROM conversation_messages x WHERE x.tenant_id = $1 AND x.id = ${param(options.beforeId)})`);
    }
    return this.db.query(
      `SELECT ${MESSAGE_COLUMNS}
         FROM conversation_messages m JOIN conversations c ON c.tenant_id = m.tenant_id AND c.id = m.conversation_id
        WHERE ${where.join(' AND ')}
        ORDER BY m.created_at DESC, m.id DESC LIMIT ${param(options.limit)}`,
      params,
    );
  }

  // An active message of the tenant, with its conversation's contact.
  async message(tenantId: number, id: number): Promise<MessageSummary | null> {
    const [row] = await this.db.query<MessageSummary[]>(
      `SELECT ${MESSAGE_COLUMNS}
         FROM conversation_messages m JOIN conversations c ON c.tenant_id = m.tenant_id AND c.id = m.conversation_id
        WHERE m.tenant_id = $1 AND m.id = $2 AND m.state = 'active'`,
      [tenantId, id],
    );
    return row ?? null;
  }

  // The contact's open conversation (active, not converted to a ticket): its latest.
  async openConversationOf(tenantId: number, contactId: number): Promise<number | null> {
    const [row]: { id: number }[] = await this.db.query(
      `SELECT id FROM conversations
        WHERE tenant_id = $1 AND contact_id = $2 AND state = 'active' AND ticket_id IS NULL
        ORDER BY id DESC LIMIT 1`,
      [tenantId, contactId],
    );
    return row?.id ?? null;
  }
}

type Param = (value: unknown) => string;

// A page of the search: its order, its size's parameter, and the cursor's condition over a sort key
// and an id (whole milliseconds, then the id when given).
interface Page {
  direction: 'ASC' | 'DESC';
  limit: string;
  cursor: (key: string, id: string) => string;
}

function pageOf(criteria: SearchCriteria, param: Param): Page {
  const after = criteria.startAfter;
  const [compare, direction] = criteria.sort === 'desc' ? (['<', 'DESC'] as const) : (['>', 'ASC'] as const);
  const cursor = (key: string, id: string) => {
    if (!after) return 'true';
    const edge = `(timestamp 'epoch' + ${param(after.ms)} * interval '1 millisecond')`;
    return after.id === undefined ? `${key} ${compare} ${edge}` : `(${key}, ${id}) ${compare} (${edge}, ${param(after.id)})`;
  };
  return { direction, limit: param(criteria.limit), cursor };
}

function summariesOf(pageIds: string): string {
  return `SELECT ${SUMMARY_COLUMNS} FROM (${pageIds}) page JOIN conversations c ON c.tenant_id = $1 AND c.id = page.id ${SUMMARY_JOINS}`;
}

// A column of the conversation's latest active public message, the one its summary shows (by
// ix_conversation_messages_conversation, read backwards); null when it has none.
const LAST_MESSAGE = (column: string) =>
  `SELECT ${column} FROM conversation_messages m
    WHERE m.tenant_id = c.tenant_id AND m.conversation_id = c.id AND m.state = 'active' AND NOT m.private
    ORDER BY m.created_at DESC, m.id DESC LIMIT 1`;

const STATUS_FILTER: Record<SearchStatus, string | null> = {
  all: null,
  read: `c.unread_count = 0`,
  unread: `c.unread_count > 0`,
  starred: `c.starred`,
  recents: `c.last_message_at IS NOT NULL`,
};

// The criteria other than the query, as one condition on `c`.
function filterOf(criteria: SearchCriteria, param: Param): string {
  const where = [`c.tenant_id = $1`, `c.state = 'active'`];
  if (criteria.contactId !== undefined) where.push(`c.contact_id = ${param(criteria.contactId)}`);
  if (criteria.id !== undefined) where.push(`c.id = ${param(criteria.id)}`);
  if (criteria.assignedTo) where.push(assignedToFilter(criteria.assignedTo, param));
  if (criteria.lastMessageType !== undefined) where.push(`(${LAST_MESSAGE('m.message_type')}) = ${param(criteria.lastMessageType)}`);
  if (criteria.lastMessageDirection !== undefined) where.push(`(${LAST_MESSAGE('m.direction')}) = ${param(criteria.lastMessageDirection)}`);
  const status = STATUS_FILTER[criteria.status];
  if (status) where.push(status);
  return where.join(' AND ');
}

function assignedToFilter(assignedTo: NonNullable<SearchCriteria['assignedTo']>, param: Param): string {
  const anyOf: string[] = [];
  if (assignedTo.ids.length > 0) anyOf.push(`c.assignee_id = ANY(${param(assignedTo.ids)}::bigint[])`);
  if (assignedTo.unassigned) anyOf.push(`c.assignee_id IS NULL`);
  // Values that name no agent of ours match no conversation.
  return anyOf.length > 0 ? `(${anyOf.join(' OR ')})` : 'false';
}

// A query matches in either of two ways, each its own branch of a UNION served by trigram indexes
// (migrations/1764400000000-search.ts): the last message's text; or the customer's search text or
// any active contact value of the customer.
function matchBranches(query: string, param: Param): string[] {
  const pattern = param(`%${escapeLike(query)}%`);
  // Contacts are stored in normal form: `+1 555 0100` or `ＵＮＩＱ` also looks for `+15550100` or `uniq`.
  const normal = contactFormOf(query);
  const normalPattern = normal === null ? null : param(`%${escapeLike(normal)}%`);
  const contactMatch = (text: string) => (normalPattern ? `(${text} ILIKE ${pattern} OR ${text} ILIKE ${normalPattern})` : `${text} ILIKE ${pattern}`);
  return [
    `c.last_message_text ILIKE ${pattern}`,
    `c.contact_id IN (
         SELECT cc.id FROM customer_contacts cc WHERE cc.tenant_id = $1 AND cc.customer_id IN (
           SELECT mp.id FROM customers mp WHERE mp.tenant_id = $1 AND ${contactMatch(`(${CUSTOMER_SEARCH_TEXT})`)}
           UNION ALL
           SELECT mx.customer_id FROM customer_contacts mx WHERE mx.tenant_id = $1 AND mx.state = 'active' AND ${contactMatch('mx.value')}))`,
  ];
}

// The query in contacts' normal form, when that differs from the query itself.
function contactFormOf(query: string | undefined): string | null {
  if (query === undefined) return null;
  const normal = normalizeContactQuery(query);
  return normal === query.toLowerCase() ? null : normal;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}
