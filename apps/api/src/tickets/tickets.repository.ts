import { Injectable } from '@nestjs/common';
import { ListPage, ListQuery, ListSpec, runList, softDeleted } from '@app/common';
import { Database } from '@app/database';
import { In } from 'typeorm';
import { TicketMessage, ThreadType } from './ticket-message.entity';
import { TICKET_LIST } from './ticket-list.definition';
import { EditMethod, Ticket } from './ticket.entity';
import { ChatRelation } from './chat-message-row';

export interface NewThreadMessage {
  threadType: ThreadType;
  message: string;
  editMethod: EditMethod;
  userId: number | null;
  contactId: number | null;
  cc: string[];
  bcc: string[];
  fileIds: number[];
}

export interface CustomFieldValue {
  id: number;
  value: unknown;
}

// How many of a ticket's latest thread messages its `messages` refs show.
export const TICKET_MESSAGE_REFS = 100;

// Chat text as HTML: every character that could open markup escaped, line breaks kept.
const HTML_ESCAPED = (column: string) =>
  `'<p>' || replace(replace(replace(replace(replace(replace(${column},
     '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '''', '&#39;'), E'\\n', '<br>') || '</p>'`;

// A chat message's entry in the thread: an agents' private note stays a note.
const THREAD_TYPE = `CASE WHEN m.private THEN 'note' ELSE 'message' END`;

// Every query takes the tenant first (the chat relations carry theirs, and the tickets' foreign
// keys hold a thread entry to its ticket's tenant) and runs in the ambient transaction (Database).
@Injectable()
export class TicketsRepository {
  constructor(private readonly db: Database) {}

  async findById(tenantId: number, id: number): Promise<Ticket | null> {
    return this.db.manager.findOneBy(Ticket, { tenantId, id });
  }

  async findByIds(tenantId: number, ids: readonly number[]): Promise<Ticket[]> {
    if (ids.length === 0) return [];
    return this.db.manager.find(Ticket, { where: { tenantId, id: In([...new Set(ids)]) }, order: { id: 'ASC' } });
  }

  // Writes to one ticket (its thread, tags, fields) apply one after another.
  async findByIdForUpdate(tenantId: number, id: number): Promise<Ticket | null> {
    return this.db.manager
      .createQueryBuilder(Ticket, 't')
      .where('t.tenant_id = :tenantId AND t.id = :id', { tenantId, id })
      .setLock('for_no_key_update')
      .getOne();
  }

  async list(tenantId: number, query: ListQuery): Promise<ListPage<Ticket>> {
    const qb = this.db.manager.createQueryBuilder(Ticket, 't').where('t.tenant_id = :tenantId', { tenantId });
    return runList(qb, TICKET_LIST, query);
  }

  async insertTicket(values: Partial<Ticket>): Promise<number> {
    const ticket = this.db.manager.create(Ticket, values);
    await this.db.manager.insert(Ticket, ticket);
    return ticket.id;
  }

  async updateTicket(tenantId: number, id: number, changes: Record<string, unknown>): Promise<void> {
    await this.db.manager.update(Ticket, { tenantId, id }, changes);
  }

  // False when the ticket was not active (deleted already, or not the tenant's).
  async softDelete(tenantId: number, id: number, actorId: number): Promise<boolean> {
    const result = await this.db.manager.update(Ticket, { tenantId, id, state: 'active' }, softDeleted(actorId));
    return result.affected !== 0;
  }

  // One statement for any number of messages; ids follow the given order, which is the thread's.
  async insertMessages(
    tenantId: number,
    ticketId: number,
    messages: readonly NewThreadMessage[],
    actorId: number | null,
  ): Promise<number[]> {
    if (messages.length === 0) return [];
    const rows: { id: number }[] = await this.db.manager.query(
      `INSERT INTO ticket_messages
         (tenant_id, ticket_id, thread_type, message, edit_method, user_id, contact_id, cc, bcc, file_ids, created_by, updated_by)
       SELECT $1, $2, m.thread_type, m.message, m.edit_method, m.user_id, m.contact_id,
              ARRAY(SELECT jsonb_array_elements_text(m.cc)), ARRAY(SELECT jsonb_array_elements_text(m.bcc)),
              ARRAY(SELECT jsonb_array_elements_text(m.file_ids))::bigint[], $3, $3
         FROM jsonb_array_elements($4::jsonb) WITH ORDINALITY AS e(item, n)
        CROSS JOIN LATERAL jsonb_to_record(e.item)
              AS m(thread_type text, message text, edit_method text, user_id bigint, contact_id bigint, cc jsonb, bcc jsonb, file_ids jsonb)
        ORDER BY e.n
       RETURNING id`,
      [
        tenantId,
        ticketId,
        actorId,
        JSON.stringify(
          messages.map((m) => ({
            thread_type: m.threadType,
            message: m.message,
            edit_method: m.editMethod,
            user_id: m.userId,
            contact_id: m.contactId,
            cc: m.cc,
            bcc: m.bcc,
            file_ids: m.fileIds,
          })),
        ),
      ],
    );
    return rows.map((row) => row.id);
  }

  // A conversation's transcript (its active messages, as the conversations module's relation
  // names them) as the ticket's thread, in order: one INSERT … SELECT whatever the length of the
  // chat, each keeping its author, time and files. HTML escapes every message; markdown keeps it
  // as written.
  async insertTranscript(ticketId: number, transcript: ChatRelation, editMethod: EditMethod): Promise<number> {
    const body = editMethod === 'html' ? HTML_ESCAPED('m.message') : 'm.message';
    const fixed = [ticketId, editMethod];
    const [{ inserted }]: { inserted: number }[] = await this.db.manager.query(
      `WITH copied AS (
       INSERT INTO ticket_messages
         (tenant_id, ticket_id, thread_type, message, edit_method, user_id, contact_id, file_ids, conversation_message_id,
          created_at, created_by, updated_at, updated_by)
       SELECT m.tenant_id, $1, ${THREAD_TYPE}, ${body}, $2, m.user_id, m.contact_id, m.file_ids, m.id,
              m.created_at, m.created_by, m.created_at, m.created_by
         FROM (${transcript.sql(fixed.length + 1)}) m
        ORDER BY m.created_at, m.id
       RETURNING 1)
       SELECT count(*)::int AS inserted FROM copied`,
      [...fixed, ...transcript.params],
    );
    return inserted;
  }


  // Chat messages stored after their conversation became a ticket (the conversations module's
  // relation), copied to that ticket's thread as the transcript copies the earlier ones (author,
  // time, files; HTML-escaped unless the ticket is markdown); a customer's message is the
  // ticket's contact's unless its contact is of the ticket's customer (`contact_customer_id`).
  // Each ticket counts its copies and moves updatedAt. One statement for any number of messages,
  // tickets and tenants; a message copied already (uq_ticket_messages_conversation_message) is
  // not copied again. Answers the tickets that changed.
  async copyChatMessages(messages: ChatRelation, actorId: number | null): Promise<{ tenantId: number; id: number }[]> {
    // An UPDATE answers [rows, count] through TypeORM.
    const [changed]: [{ tenantId: number; id: number }[], number] = await this.db.manager.query(
      `WITH copied AS (
         INSERT INTO ticket_messages
           (tenant_id, ticket_id, thread_type, message, edit_method, user_id, contact_id, file_ids, conversation_message_id,
            created_at, created_by, updated_at, updated_by)
         SELECT m.tenant_id, t.id, ${THREAD_TYPE}, CASE WHEN t.edit_method = 'html' THEN ${HTML_ESCAPED('m.message')} ELSE m.message END,
                t.edit_method, m.user_id,
                CASE WHEN m.user_id IS NOT NULL THEN NULL
                     WHEN m.contact_customer_id = t.customer_id OR t.contact_id IS NULL THEN m.contact_id
                     ELSE t.contact_id END,
                m.file_ids, m.id, m.created_at, m.created_by, m.created_at, m.created_by
           FROM (${messages.sql(2)}) m
           JOIN tickets t ON t.tenant_id = m.tenant_id AND t.conversation_id = m.conversation_id
          ORDER BY m.created_at, m.id
         ON CONFLICT (tenant_id, conversation_message_id) WHERE conversation_message_id IS NOT NULL DO NOTHING
         RETURNING tenant_id, ticket_id)
       UPDATE tickets t SET message_count = t.message_count + c.n, updated_at = now(), updated_by = $1
         FROM (SELECT tenant_id, ticket_id, count(*)::int AS n FROM copied GROUP BY tenant_id, ticket_id) c
        WHERE t.tenant_id = c.tenant_id AND t.id = c.ticket_id
       RETURNING t.tenant_id AS "tenantId", t.id`,
      [actorId, ...messages.params],
    );
    return changed;
  }

  // A new thread message counts, moves the ticket's updatedAt and, when given, its status: one UPDATE.
  async recordThreadMessage(tenantId: number, ticketId: number, statusId: number | null, actorId: number | null): Promise<void> {
    await this.db.manager.query(
      `UPDATE tickets SET message_count = message_count + 1, status_id = COALESCE($3, status_id), updated_at = now(), updated_by = $4
        WHERE tenant_id = $1 AND id = $2`,
      [tenantId, ticketId, statusId, actorId],
    );
  }

  // Whether `id` is `startId` or above it in the parent chain (a ticket's parent must not be its descendant).
  async isInParentChain(tenantId: number, startId: number, id: number): Promise<boolean> {
    const [row]: { found: boolean }[] = await this.db.manager.query(
      `WITH RECURSIVE chain(id, parent_id, depth) AS (
         SELECT id, parent_id, 1 FROM tickets WHERE tenant_id = $1 AND id = $2
         UNION ALL
         SELECT t.id, t.parent_id, c.depth + 1 FROM tickets t JOIN chain c ON t.tenant_id = $1 AND t.id = c.parent_id WHERE c.depth < 1000)
       SELECT EXISTS (SELECT 1 FROM chain WHERE id = $3) AS found`,
      [tenantId, startId, id],
    );
    return row.found;
  }

  // The ticket's tags become exactly these; true when that changed anything.
  async replaceTags(tenantId: number, ticketId: number, tagIds: readonly number[], actorId: number | null): Promise<boolean> {
    const [{ removed, added }]: { removed: number; added: number }[] = await this.db.manager.query(
      `WITH removed AS (
         DELETE FROM ticket_tags WHERE tenant_id = $1 AND ticket_id = $2 AND NOT (tag_id = ANY($3)) RETURNING 1),
       added AS (
         INSERT INTO ticket_tags (tenant_id, ticket_id, tag_id, created_by)
         SELECT $1, $2, t.id, $4 FROM unnest($3::bigint[]) AS t(id)
         ON CONFLICT DO NOTHING RETURNING 1)
       SELECT (SELECT count(*) FROM removed)::int AS removed, (SELECT count(*) FROM added)::int AS added`,
      [tenantId, ticketId, [...tagIds], actorId],
    );
    return removed + added > 0;
  }

  // Sets these fields' values (a null value removes one); true when that changed anything.
  async setCustomFields(
    tenantId: number,
    ticketId: number,
    values: readonly CustomFieldValue[],
    actorId: number | null,
  ): Promise<boolean> {
    if (values.length === 0) return false;
    const [{ changed }]: { changed: number }[] = await this.db.manager.query(
      `WITH given AS (SELECT v.id, v.value FROM jsonb_to_recordset($3::jsonb) AS v(id bigint, value jsonb)),
       cleared AS (
         DELETE FROM ticket_custom_field_values f USING given g
          WHERE f.tenant_id = $1 AND f.ticket_id = $2 AND f.custom_field_id = g.id AND (g.value IS NULL OR g.value = 'null'::jsonb)
         RETURNING 1),
       written AS (
         INSERT INTO ticket_custom_field_values (tenant_id, ticket_id, custom_field_id, value, updated_by)
         SELECT $1, $2, g.id, g.value, $4 FROM given g WHERE g.value IS NOT NULL AND g.value <> 'null'::jsonb
         ON CONFLICT (tenant_id, ticket_id, custom_field_id)
         DO UPDATE SET value = EXCLUDED.value, updated_at = now(), updated_by = EXCLUDED.updated_by
           WHERE ticket_custom_field_values.value IS DISTINCT FROM EXCLUDED.value
         RETURNING 1)
       SELECT (SELECT count(*) FROM cleared)::int + (SELECT count(*) FROM written)::int AS changed`,
      [tenantId, ticketId, JSON.stringify(values), actorId],
    );
    return changed > 0;
  }

  // What each ticket's wire form shows besides its own columns: tag ids, custom field values and
  // the ids of its latest thread messages, oldest first. Three queries for any number of tickets.
  async relationsOf(
    tenantId: number,
    ticketIds: readonly number[],
  ): Promise<{ tags: Map<number, number[]>; fields: Map<number, CustomFieldValue[]>; messages: Map<number, number[]> }> {
    const tags = new Map<number, number[]>();
    const fields = new Map<number, CustomFieldValue[]>();
    const messages = new Map<number, number[]>();
    if (ticketIds.length === 0) return { tags, fields, messages };
    const ids = [...new Set(ticketIds)];
    type TagRow = { ticket_id: number; tag_id: number };
    type FieldRow = { ticket_id: number; custom_field_id: number; value: unknown };
    type MessageRow = { ticket_id: number; id: number };
    const [tagRows, fieldRows, messageRows] = await this.db.all(
      (): Promise<TagRow[]> =>
        this.db.manager.query(
          `SELECT tt.ticket_id, tt.tag_id FROM ticket_tags tt WHERE tt.tenant_id = $1 AND tt.ticket_id = ANY($2) ORDER BY tt.ticket_id, tt.tag_id`,
          [tenantId, ids],
        ),
      (): Promise<FieldRow[]> =>
        this.db.manager.query(
          `SELECT v.ticket_id, v.custom_field_id, v.value FROM ticket_custom_field_values v
            WHERE v.tenant_id = $1 AND v.ticket_id = ANY($2) ORDER BY v.ticket_id, v.custom_field_id`,
          [tenantId, ids],
        ),
      (): Promise<MessageRow[]> =>
        this.db.manager.query(
          `SELECT t.id AS ticket_id, latest.id
             FROM unnest($2::bigint[]) AS t(id)
             CROSS JOIN LATERAL (
               SELECT tm.id FROM ticket_messages tm
                WHERE tm.tenant_id = $1 AND tm.ticket_id = t.id AND tm.state = 'active'
                ORDER BY tm.id DESC LIMIT ${TICKET_MESSAGE_REFS}) latest
            ORDER BY t.id, latest.id`,
          [tenantId, ids],
        ),
    );
    for (const row of tagRows) push(tags, row.ticket_id, row.tag_id);
    for (const row of fieldRows) push(fields, row.ticket_id, { id: row.custom_field_id, value: row.value });
    for (const row of messageRows) push(messages, row.ticket_id, row.id);
    return { tags, fields, messages };
  }

  async findMessageById(tenantId: number, id: number): Promise<TicketMessage | null> {
    return this.db.manager.findOneBy(TicketMessage, { tenantId, id });
  }

  async findMessagesByIds(tenantId: number, ids: readonly number[]): Promise<TicketMessage[]> {
    if (ids.length === 0) return [];
    return this.db.manager.find(TicketMessage, { where: { tenantId, id: In([...new Set(ids)]) }, order: { id: 'ASC' } });
  }

  async listMessages(tenantId: number, ticketId: number, spec: ListSpec, query: ListQuery): Promise<ListPage<TicketMessage>> {
    const qb = this.db.manager
      .createQueryBuilder(TicketMessage, 'tm')
      .where('tm.tenant_id = :tenantId AND tm.ticket_id = :ticketId', { tenantId, ticketId });
    return runList(qb, spec, query, { scope: `ticket:${ticketId}` });
  }
}

function push<T>(map: Map<number, T[]>, key: number, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
