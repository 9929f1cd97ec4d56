import { Injectable } from '@nestjs/common';
import { Database } from '@app/database';
import { LiveEventName, LiveEventPayload } from './live-events';

// A live update marked for the webhooks' fan-out (LiveEvents.fanOutWhen): the agents' JSON of one event.
export interface FanOutEvent {
  tenantId: number;
  outboxId: number;
  event: LiveEventName;
  data: unknown;
  createdAt: string;
}

// The webhooks' door to the outbox (the live layer owns the table): takes the oldest marked
// updates and unmarks them, in the caller's transaction, so the deliveries the caller writes and
// the unmarking commit together.
@Injectable()
export class WebhookFanOutSource {
  constructor(private readonly db: Database) {}

  // One probe of the partial index: whether the fan-out has anything to take (most ticks, nothing).
  async anyPending(): Promise<boolean> {
    const [row] = await this.db.query<{ pending: boolean }[]>(`SELECT EXISTS (SELECT 1 FROM outbox WHERE webhooks_pending) AS pending`);
    return row.pending;
  }

  async take(limit: number): Promise<FanOutEvent[]> {
    if (!this.db.inTransaction) throw new Error('the fan-out takes live updates in the transaction that writes their deliveries');
    const [rows] = await this.db.query<[{ tenant_id: string; id: string; payload: LiveEventPayload; created_at: Date }[], number]>(
      `UPDATE outbox o
          SET webhooks_pending = false
         FROM (SELECT tenant_id, id FROM outbox WHERE webhooks_pending ORDER BY id LIMIT $1 FOR NO KEY UPDATE) marked
        WHERE o.tenant_id = marked.tenant_id AND o.id = marked.id
       RETURNING o.tenant_id, o.id, o.payload, o.created_at`,
      [limit],
    );
    return rows
      .map((r) => ({ tenantId: Number(r.tenant_id), outboxId: Number(r.id), event: r.payload.event, data: r.payload.data, createdAt: r.created_at.toISOString() }))
      .sort((a, b) => a.outboxId - b.outboxId);
  }
}
