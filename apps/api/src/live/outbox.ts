import { Injectable } from '@nestjs/common';
import { Database } from '@app/database';

// A message for the world outside (an email today), queued in the change's transaction and
// delivered after its commit by whoever handles its topic.
export interface OutboxEntry {
  topic: string;
  availableAt: Date | null;
  payload: Record<string, unknown>;
}

// The outbox's one door for features other than live updates (those go through LiveEvents): the
// live layer owns the `outbox` table.
@Injectable()
export class Outbox {
  constructor(private readonly db: Database) {}

  // Queues a ticket's entries in the ambient transaction, in one statement.
  async enqueueForTicket(tenantId: number, ticketId: number, entries: readonly OutboxEntry[], actorId: number | null): Promise<void> {
    if (entries.length === 0) return;
    if (!this.db.inTransaction) throw new Error('outbox entries are written in the transaction of the change they report');
    await this.db.query(
      `INSERT INTO outbox (tenant_id, topic, ticket_id, payload, available_at, created_by)
       SELECT $1, e.topic, $2, e.payload, COALESCE(e.available_at, now()), $4
         FROM jsonb_to_recordset($3::jsonb) AS e(topic text, payload jsonb, available_at timestamptz)`,
      [
        tenantId,
        ticketId,
        JSON.stringify(entries.map((e) => ({ topic: e.topic, payload: e.payload, available_at: e.availableAt?.toISOString() ?? null }))),
        actorId,
      ],
    );
  }
}
