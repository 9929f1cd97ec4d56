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

// What the webhook receiver itself reads and writes: its event keys, each a single statement over
// the whole batch. The agents, contacts and files its events name are their modules' (UsersService,
// ContactsService, FilesService), the conversations' rows the conversations module's.
@Injectable()
export class PusherWebhooksRepository {
  constructor(private readonly db: Database) {}

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
