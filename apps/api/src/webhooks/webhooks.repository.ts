import { Injectable } from '@nestjs/common';
import { toStorableText } from '@app/common';
import { Database } from '@app/database';
import { StoredEvent } from './pusher-events';

export interface NewWebhookEvent extends StoredEvent {
  tenantId: number | null;
  conversationId: number | null;
  outcome: 'message' | 'applied' | 'ignored' | 'conflict';
  reason: string | null;
}

// What the webhook receiver itself reads and writes (its event keys, and the agents, contacts and
// files its events name), each a single statement over the whole batch; the conversations'
// rows are the conversations module's.
@Injectable()
export class WebhooksRepository {
  constructor(private readonly db: Database) {}

  // Which of the named agents are active in their tenant, and which contacts are active, with
  // their customer; keys like `7:user-12` (tenant 7). One query for both.
  async findMembers(refs: readonly { tenantId: number; kind: 'user' | 'contact'; id: number }[]): Promise<Map<string, number | null>> {
    if (refs.length === 0) return new Map();
    const rows: { key: string; customer_id: number | null }[] = await this.db.query(
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
  async findActiveFiles(refs: readonly { tenantId: number; id: number }[]): Promise<Map<string, number | null>> {
    if (refs.length === 0) return new Map();
    const rows: { key: string; conversation_id: number | null }[] = await this.db.query(
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
  async insertEvents(events: readonly NewWebhookEvent[], timeMs: number): Promise<Set<string>> {
    if (events.length === 0) return new Set();
    const rows: { dedupe_key: string }[] = await this.db.query(
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
            dedupe_key: storable(e.dedupeKey),
            conversation_id: e.conversationId,
            name: storable(e.name),
            channel: storable(e.channel),
            event: storable(e.event),
            user_id: storable(e.userId),
            socket_id: storable(e.socketId),
            data: storable(e.data),
            outcome: e.outcome,
            reason: storable(e.reason),
          })),
        ),
        timeMs,
      ],
    );
    return new Set(rows.map((row) => row.dedupe_key));
  }

  // Events recorded by this batch that turn out to conflict: they are recorded again under their
  // conflict keys, and their message keys stay free.
  async forgetEvents(dedupeKeys: readonly string[]): Promise<void> {
    if (dedupeKeys.length === 0) return;
    await this.db.query(`DELETE FROM webhook_events WHERE dedupe_key = ANY($1::text[])`, [dedupeKeys.map(storable)]);
  }
}

// PostgreSQL text cannot hold NUL, nor jsonb (the rows go through it) half of a UTF-16 surrogate
// pair; what Pusher relayed is kept, with U+FFFD in their place.
function storable<T extends string | null>(value: T): T {
  return (value === null ? null : toStorableText(value)) as T;
}
