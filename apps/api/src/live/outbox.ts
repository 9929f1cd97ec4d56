import { Injectable } from '@nestjs/common';
import { Database } from '@app/database';

// A message for the world outside (an email today), queued in the change's transaction and
// delivered after its commit by whoever handles its topic.
export interface OutboxEntry {
  topic: string;
  availableAt: Date | null;
  payload: Record<string, unknown>;
}

// An entry a sender holds: leased to it (available_at moved past its send, claimed_by its token)
// with this attempt counted.
export interface ClaimedEntry {
  tenantId: number;
  id: number;
  topic: string;
  ticketId: number | null;
  payload: Record<string, unknown>;
  // Including this one.
  attempts: number;
}

// What became of a claimed entry: sent; failed, due again after a delay; failed for good; or not
// tried (the attempt undone, due at once).
export type EntryOutcome =
  | { entry: ClaimedEntry; kind: 'delivered' }
  | { entry: ClaimedEntry; kind: 'retry'; error: string; retryMs: number }
  | { entry: ClaimedEntry; kind: 'failed'; error: string }
  | { entry: ClaimedEntry; kind: 'released' };

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

  // Leases up to `limit` due entries of these topics (never 'pusher': OutboxDispatcher's) to the
  // claimant, oldest first, in one statement of its own: SKIP LOCKED passes over rows another
  // sender is claiming, and the lease (available_at moved on) over rows another holds, so an entry
  // is held by one sender at a time: sent once unless a sender outlives its lease or dies mid-send.
  async claim(topics: readonly string[], limit: number, leaseMs: number, claimant: string): Promise<ClaimedEntry[]> {
    const [rows] = await this.db.dataSource.query<[ClaimedRow[], number]>(
      `UPDATE outbox o
          SET attempts = o.attempts + 1,
              available_at = now() + $3::double precision * interval '1 millisecond',
              claimed_by = $4
         FROM (SELECT tenant_id, id FROM outbox
                WHERE topic = ANY($1::text[]) AND delivered_at IS NULL AND failed_at IS NULL AND available_at <= now()
                ORDER BY available_at, id
                LIMIT $2
                FOR NO KEY UPDATE SKIP LOCKED) due
        WHERE o.tenant_id = due.tenant_id AND o.id = due.id
       RETURNING o.tenant_id, o.id, o.topic, o.ticket_id, o.payload, o.attempts`,
      [topics, limit, leaseMs, claimant],
    );
    return rows
      .map((r) => ({ tenantId: Number(r.tenant_id), id: Number(r.id), topic: r.topic, ticketId: r.ticket_id === null ? null : Number(r.ticket_id), payload: r.payload, attempts: r.attempts }))
      .sort((a, b) => a.id - b.id);
  }

  // Records outcomes in one statement (in the caller's transaction, if any), each only under the
  // claim that produced it (this claimant, the attempt unchanged): an entry whose lease ended and
  // that another sender took is that sender's. Answers the ids it settled.
  async settle(outcomes: readonly EntryOutcome[], claimant: string): Promise<Set<number>> {
    if (outcomes.length === 0) return new Set();
    const rows = outcomes.map((o) => ({
      tenant_id: o.entry.tenantId,
      id: o.entry.id,
      attempts: o.entry.attempts,
      kind: o.kind,
      error: o.kind === 'retry' || o.kind === 'failed' ? o.error.slice(0, 1_000) : null,
      retry_ms: o.kind === 'retry' ? o.retryMs : null,
    }));
    const [settled] = await this.db.query<[{ id: string }[], number]>(
      `UPDATE outbox o
          SET delivered_at = CASE WHEN r.kind = 'delivered' THEN now() ELSE NULL END,
              failed_at = CASE WHEN r.kind = 'failed' THEN now() ELSE NULL END,
              last_error = CASE WHEN r.kind IN ('retry', 'failed') THEN r.error ELSE o.last_error END,
              attempts = CASE WHEN r.kind = 'released' THEN o.attempts - 1 ELSE o.attempts END,
              available_at = CASE r.kind
                               WHEN 'retry' THEN now() + r.retry_ms::double precision * interval '1 millisecond'
                               WHEN 'released' THEN now()
                               ELSE o.available_at END,
              claimed_by = NULL
         FROM jsonb_to_recordset($1::jsonb) AS r(tenant_id bigint, id bigint, attempts integer, kind text, error text, retry_ms bigint)
        WHERE o.tenant_id = r.tenant_id AND o.id = r.id AND o.claimed_by = $2 AND o.attempts = r.attempts
          AND o.delivered_at IS NULL AND o.failed_at IS NULL
       RETURNING o.id`,
      [JSON.stringify(rows), claimant],
    );
    return new Set(settled.map((r) => Number(r.id)));
  }

  // Hands back every entry of these topics the claimant still holds, the attempt undone: for a
  // claimant that has nothing in flight, after a failure that may have hidden a claim from it (the
  // database took the claim, and its answer was lost). Answers how many.
  async releaseClaims(topics: readonly string[], claimant: string): Promise<number> {
    const [, released] = await this.db.query<[unknown, number]>(
      `UPDATE outbox
          SET attempts = attempts - 1, available_at = now(), claimed_by = NULL
        WHERE claimed_by = $2 AND topic = ANY($1::text[]) AND delivered_at IS NULL AND failed_at IS NULL`,
      [topics, claimant],
    );
    return released;
  }

  // Deletes up to `limit` entries of these topics delivered more than `retentionMs` ago (the
  // chunk of a purge under its job's lock). Answers how many.
  async deleteDelivered(topics: readonly string[], retentionMs: number, limit: number): Promise<number> {
    const [, deleted] = await this.db.query<[unknown, number]>(
      `DELETE FROM outbox
        WHERE (tenant_id, id) IN (
              SELECT tenant_id, id FROM outbox
               WHERE delivered_at < now() - $2::double precision * interval '1 millisecond' AND topic = ANY($1::text[])
               LIMIT $3)`,
      [topics, retentionMs, limit],
    );
    return deleted;
  }
}

interface ClaimedRow {
  tenant_id: string | number;
  id: string | number;
  topic: string;
  ticket_id: string | number | null;
  payload: Record<string, unknown>;
  attempts: number;
}
