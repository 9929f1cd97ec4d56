import { withClient } from '../../support/test-database';
import { Outcome } from './load';

// What the database holds compared with what the service answered.
export interface Reconciliation {
  // Requests answered 2xx.
  acknowledged: number;
  // Acknowledged writes the database does not hold.
  lost: string[];
  // Writes the database holds more than once (a message text, a clientMessageId, a conversion).
  duplicates: string[];
  // Writes the database holds only part of (a batch with some of its messages, a ticket without
  // its thread or its conversation, a message without its live update, a key without its work).
  partial: string[];
  // Requests not answered 2xx whose write nonetheless committed (the answer was lost, the write
  // was not): allowed, and counted.
  inDoubt: number;
}

const is2xx = (o: Outcome) => o.status >= 200 && o.status < 300;

// `label` tags every text and clientMessageId of the scenario (see Load).
export async function reconcile(databaseUrl: string, outcomes: readonly Outcome[], label: string): Promise<Reconciliation> {
  return withClient(databaseUrl, async (db) => {
    const result: Reconciliation = { acknowledged: outcomes.filter(is2xx).length, lost: [], duplicates: [], partial: [], inDoubt: 0 };

    const { rows: messages } = await db.query<{ tenant_id: number; id: number; message: string; client_message_id: string | null; live: boolean }>(
      `SELECT m.tenant_id, m.id, m.message, m.client_message_id,
              EXISTS (SELECT 1 FROM outbox o
                       WHERE o.tenant_id = m.tenant_id AND o.payload->>'event' = 'message.created'
                         AND (o.payload->'data'->>'id')::bigint = m.id) AS live
         FROM conversation_messages m
        WHERE m.message LIKE $1 OR m.client_message_id LIKE $2`,
      [`desk says ${label}-%`, `cm-${label}-%`],
    );
    const byText = groupBy(messages, (m) => m.message);
    const byClientId = groupBy(messages.filter((m) => m.client_message_id !== null), (m) => m.client_message_id!);
    for (const [text, rows] of byText) if (rows.length > 1) result.duplicates.push(`message "${text}" stored ${rows.length} times`);
    for (const [id, rows] of byClientId) if (rows.length > 1) result.duplicates.push(`clientMessageId ${id} stored ${rows.length} times`);
    for (const m of messages) if (!m.live) result.partial.push(`message ${m.id} has no message.created live update`);

    // A write answered 2xx at least once is acknowledged; one never answered 2xx yet stored is in doubt.
    const acknowledged = new Set<string>();
    const unanswered = new Set<string>();
    for (const o of outcomes) {
      if (o.kind === 'message') {
        const stored = byText.get(o.text!) ?? [];
        if (is2xx(o)) {
          acknowledged.add(o.text!);
          const id = (o.body as { conversationmessage?: { id?: number } }).conversationmessage?.id;
          if (!stored.some((m) => m.id === id)) result.lost.push(`message "${o.text}" answered ${o.status} with id ${id}`);
        } else if (stored.length > 0) unanswered.add(o.text!);
      }
      if (o.kind === 'webhook') {
        const present = o.clientMessageIds!.filter((id) => byClientId.has(id)).length;
        if (present !== 0 && present !== o.clientMessageIds!.length) {
          result.partial.push(`webhook batch answered ${o.status || o.error} stored ${present} of its ${o.clientMessageIds!.length} messages`);
        }
        if (is2xx(o) && present < o.clientMessageIds!.length) result.lost.push(`webhook batch answered ${o.status}: ${o.clientMessageIds!.length - present} messages missing`);
        const batch = o.clientMessageIds!.join(',');
        if (is2xx(o)) acknowledged.add(batch);
        else if (present > 0) unanswered.add(batch);
      }
    }

    const converted = outcomes.filter((o) => o.kind === 'convert');
    const conversationIds = [...new Set(converted.map((o) => o.conversationId))];
    const { rows: conversions } = await db.query<{ id: number; ticket_id: number | null; tickets: number; thread: number; ticket_of_conversation: number | null; live: boolean }>(
      `SELECT c.id, c.ticket_id,
              (SELECT count(*)::int FROM tickets t WHERE t.tenant_id = c.tenant_id AND t.conversation_id = c.id) AS tickets,
              (SELECT count(*)::int FROM ticket_messages tm WHERE tm.tenant_id = c.tenant_id AND tm.ticket_id = c.ticket_id) AS thread,
              (SELECT t.id FROM tickets t WHERE t.tenant_id = c.tenant_id AND t.conversation_id = c.id LIMIT 1) AS ticket_of_conversation,
              EXISTS (SELECT 1 FROM outbox o WHERE o.tenant_id = c.tenant_id AND o.payload->>'event' = 'conversation.converted'
                         AND (o.payload->'data'->>'id')::bigint = c.id) AS live
         FROM conversations c WHERE c.id = ANY($1::bigint[])`,
      [conversationIds],
    );
    const conversion = new Map(conversions.map((c) => [Number(c.id), c]));
    for (const c of conversions) {
      if (c.tickets > 1) result.duplicates.push(`conversation ${c.id} converted to ${c.tickets} tickets`);
      const whole = c.ticket_id === null ? c.tickets === 0 : c.ticket_of_conversation === Number(c.ticket_id) && c.thread > 0 && c.live;
      if (!whole) result.partial.push(`conversation ${c.id}: ticket_id ${c.ticket_id}, ${c.tickets} ticket(s), thread of ${c.thread}, live update ${c.live}`);
    }
    for (const o of converted) {
      const c = conversion.get(o.conversationId);
      if (is2xx(o)) {
        acknowledged.add(`conversion ${o.conversationId}`);
        const ticketId = (o.body as { ticket_id?: number }).ticket_id;
        if (!c || c.ticket_id === null || Number(c.ticket_id) !== ticketId) result.lost.push(`conversion of ${o.conversationId} answered ${o.status} with ticket ${ticketId}`);
      } else if (c !== undefined && c.ticket_id !== null) unanswered.add(`conversion ${o.conversationId}`);
    }
    result.inDoubt = [...unanswered].filter((write) => !acknowledged.has(write)).length;

    // A key's record exists only with the work it recorded.
    const keys = [...new Set(outcomes.flatMap((o) => (o.idempotencyKey ? [o.idempotencyKey] : [])))];
    const { rows: records } = await db.query<{ key: string; response_status: number | null; response_body: string | null }>(
      `SELECT key, response_status, response_body FROM idempotency_keys WHERE key = ANY($1::text[])`,
      [keys],
    );
    const storedIds = new Set(messages.map((m) => Number(m.id)));
    for (const r of records) {
      const id = r.response_body ? (JSON.parse(r.response_body) as { conversationmessage?: { id?: number } }).conversationmessage?.id : undefined;
      if (r.response_status === null || id === undefined || !storedIds.has(id)) result.partial.push(`Idempotency-Key ${r.key} recorded without its message`);
    }
    return result;
  });
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
