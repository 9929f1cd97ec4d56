import { Injectable } from '@nestjs/common';
import { Database } from '@app/database';
import { FanOutEvent } from '../../live/webhook-fan-out-source';

export interface ClaimedDelivery {
  tenantId: number;
  id: number;
  subscriptionId: number;
  lane: string | null;
  messageId: string;
  event: string;
  // The stored payload's JSON text: the body, exactly as signed.
  body: string;
  // Attempts made before this one.
  attempts: number;
  url: string;
  secretSealed: string;
  // While it still signs.
  previousSecretSealed: string | null;
}

// What became of one claimed delivery.
export type DeliveryOutcome =
  | { delivery: ClaimedDelivery; kind: 'delivered' | 'retry' | 'failed' | 'gone'; statusCode: number | null; durationMs: number; response: string | null; error: string | null; retryMs: number | null }
  | { delivery: ClaimedDelivery; kind: 'released' };

// Where a subscription stands after a run of outcomes: its last delivery went, failed, or was gone.
export interface SubscriptionHealth {
  tenantId: number;
  id: number;
  last: 'ok' | 'failing' | 'gone';
}

export interface DisabledSubscription {
  tenantId: number;
  id: number;
  url: string;
  events: string[];
  state: string;
  disabledReason: string;
  disabledAt: Date;
}

export const FAILING_DAYS_BEFORE_DISABLED = 3;

interface ClaimedRow {
  tenant_id: string;
  id: string;
  subscription_id: string;
  lane: string | null;
  message_id: string;
  event: string;
  body: string;
  attempts: number;
  url: string;
  secret_sealed: string;
  previous_secret_sealed: string | null;
}

// The SQL of webhook deliveries: written by the fan-out, claimed and settled by the dispatcher.
@Injectable()
export class WebhookDeliveriesRepository {
  constructor(private readonly db: Database) {}

  // In the fan-out's transaction: one delivery per event and active subscription that asked for
  // it, in the events' order (ids then give each lane its order); an event fanned out before is
  // skipped. Lanes: a conversation's events (its messages, activities and mentions too) and a
  // ticket's events are each delivered in order; anything else stands alone.
  async insertForEvents(events: readonly FanOutEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    const [, inserted] = await this.db.query<[unknown, number]>(
      `INSERT INTO webhook_deliveries (tenant_id, subscription_id, message_id, event, lane, source_id, payload)
       SELECT e.tenant_id, s.id, 'msg_' || replace(gen_random_uuid()::text, '-', ''), e.event,
              CASE
                WHEN e.event LIKE 'conversation.%' AND e.event <> 'conversation.activity' THEN 'conversation:' || (e.data->>'id')
                WHEN e.event IN ('conversation.activity', 'message.created', 'message.updated', 'mention.created') THEN 'conversation:' || (e.data->>'conversationId')
                WHEN e.event LIKE 'ticket.%' THEN 'ticket:' || (e.data->>'id')
              END,
              e.outbox_id, jsonb_build_object('type', e.event, 'timestamp', e.created_at, 'data', e.data)
         FROM jsonb_to_recordset($1::jsonb) AS e(n integer, tenant_id bigint, outbox_id bigint, event text, data jsonb, created_at text)
         JOIN webhook_subscriptions s
           ON s.tenant_id = e.tenant_id AND s.state = 'active' AND (e.event = ANY (s.events) OR '*' = ANY (s.events))
        ORDER BY e.n, s.id
       ON CONFLICT (tenant_id, subscription_id, source_id) WHERE source_id IS NOT NULL DO NOTHING`,
      [JSON.stringify(events.map((e, n) => ({ n, tenant_id: e.tenantId, outbox_id: e.outboxId, event: e.event, data: e.data, created_at: e.createdAt })))],
    );
    return inserted;
  }

  // One statement, its own transaction: due lane heads of active subscriptions (a lane's head is
  // its oldest pending delivery; a lane-less delivery is its own head) no other process holds,
  // and each head's run (the lane's next pending deliveries, as long as each is due), leased to
  // `token` until now() + leaseMs. A lane whose head is leased or waiting for a retry has no due
  // head, so no other process takes its later deliveries: one lane is sent by one process, in order.
  async claim(token: string, heads: number, runLength: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    const [rows] = await this.db.dataSource.query(
      `WITH heads AS (
         SELECT d.tenant_id, d.id, d.subscription_id, d.lane
           FROM webhook_deliveries d
          WHERE d.status = 'pending' AND d.next_attempt_at <= now()
            AND EXISTS (SELECT 1 FROM webhook_subscriptions s WHERE s.tenant_id = d.tenant_id AND s.id = d.subscription_id AND s.state = 'active')
            AND (d.lane IS NULL OR NOT EXISTS (
                  SELECT 1 FROM webhook_deliveries e
                   WHERE e.tenant_id = d.tenant_id AND e.subscription_id = d.subscription_id AND e.lane = d.lane
                     AND e.status = 'pending' AND e.id < d.id))
          ORDER BY d.next_attempt_at, d.id
          LIMIT $1
          FOR UPDATE OF d SKIP LOCKED
       ), runs AS (
         SELECT f.tenant_id, f.id
           FROM heads h
          CROSS JOIN LATERAL (
                SELECT n.tenant_id, n.id, bool_and(n.next_attempt_at <= now()) OVER (ORDER BY n.id) AS unbroken
                  FROM (SELECT e.tenant_id, e.id, e.next_attempt_at FROM webhook_deliveries e
                         WHERE e.tenant_id = h.tenant_id AND e.subscription_id = h.subscription_id AND e.lane = h.lane
                           AND e.status = 'pending' AND e.id > h.id
                         ORDER BY e.id LIMIT $2) n) f
          WHERE h.lane IS NOT NULL AND f.unbroken
       ), claimed AS (
         SELECT tenant_id, id FROM heads UNION SELECT tenant_id, id FROM runs
       )
       UPDATE webhook_deliveries w
          SET next_attempt_at = now() + $3::double precision * interval '1 millisecond', claimed_by = $4
         FROM claimed c, webhook_subscriptions s
        WHERE w.tenant_id = c.tenant_id AND w.id = c.id AND w.status = 'pending'
          AND s.tenant_id = w.tenant_id AND s.id = w.subscription_id
       RETURNING w.tenant_id, w.id, w.subscription_id, w.lane, w.message_id, w.event, w.payload::text AS body, w.attempts,
                 s.url, s.secret_sealed, CASE WHEN s.previous_secret_expires_at > now() THEN s.previous_secret_sealed END AS previous_secret_sealed`,
      [heads, runLength, leaseMs, token],
    );
    return (rows as ClaimedRow[]).map(toClaimed).sort((a, b) => a.id - b.id);
  }

  // Settles outcomes of this process's claims (claimed_by = token): sent and answered, failed and
  // due again, failed for good, or handed back untried (due now, its attempts unchanged).
  async record(token: string, outcomes: readonly DeliveryOutcome[]): Promise<void> {
    if (outcomes.length === 0) return;
    const rows = outcomes.map((o) => ({
      tenant_id: o.delivery.tenantId,
      id: o.delivery.id,
      kind: o.kind,
      ...(o.kind === 'released'
        ? {}
        : { status_code: o.statusCode, duration_ms: o.durationMs, response: o.response, error: o.error?.slice(0, 1024) ?? null, retry_ms: o.retryMs }),
    }));
    await this.db.query(
      `UPDATE webhook_deliveries d
          SET status = CASE r.kind WHEN 'delivered' THEN 'delivered' WHEN 'failed' THEN 'failed' WHEN 'gone' THEN 'failed' ELSE 'pending' END,
              next_attempt_at = CASE r.kind
                                  WHEN 'retry' THEN now() + r.retry_ms::double precision * interval '1 millisecond'
                                  WHEN 'released' THEN now()
                                END,
              claimed_by = NULL,
              attempts = d.attempts + CASE WHEN r.kind = 'released' THEN 0 ELSE 1 END,
              last_attempt_at = CASE WHEN r.kind = 'released' THEN d.last_attempt_at ELSE now() END,
              last_status_code = CASE WHEN r.kind = 'released' THEN d.last_status_code ELSE r.status_code END,
              last_duration_ms = CASE WHEN r.kind = 'released' THEN d.last_duration_ms ELSE r.duration_ms END,
              last_response = CASE WHEN r.kind = 'released' THEN d.last_response ELSE r.response END,
              last_error = CASE WHEN r.kind = 'released' THEN d.last_error ELSE r.error END,
              delivered_at = CASE WHEN r.kind = 'delivered' THEN now() ELSE d.delivered_at END
         FROM jsonb_to_recordset($1::jsonb) AS r(tenant_id bigint, id bigint, kind text, status_code integer, duration_ms integer,
                                                 response text, error text, retry_ms bigint)
        WHERE d.tenant_id = r.tenant_id AND d.id = r.id AND d.status = 'pending' AND d.claimed_by = $2`,
      [JSON.stringify(rows), token],
    );
  }

  // After the database came back: every delivery this process still holds is due again now.
  async releaseClaims(token: string): Promise<void> {
    await this.db.dataSource.query(
      `UPDATE webhook_deliveries SET next_attempt_at = now(), claimed_by = NULL WHERE status = 'pending' AND claimed_by = $1`,
      [token],
    );
  }

  // A success clears failing_since; a failure starts it, and disables a subscription failing for
  // FAILING_DAYS_BEFORE_DISABLED days; a 410 disables it at once. Answers the ones it disabled.
  async updateHealth(health: readonly SubscriptionHealth[]): Promise<DisabledSubscription[]> {
    if (health.length === 0) return [];
    const [rows] = await this.db.query<[Record<string, unknown>[], number]>(
      `WITH changed AS (
         SELECT s.tenant_id, s.id,
                CASE WHEN r.last = 'gone' THEN 'the receiver answered 410 Gone'
                     WHEN r.last = 'failing' AND s.failing_since < now() - $2::int * interval '1 day'
                       THEN 'every delivery failed since ' || to_char(s.failing_since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || ' (' || $2::int || ' days or more)'
                END AS reason,
                CASE WHEN r.last = 'ok' THEN NULL ELSE COALESCE(s.failing_since, now()) END AS failing_since
           FROM webhook_subscriptions s
           JOIN jsonb_to_recordset($1::jsonb) AS r(tenant_id bigint, id bigint, last text) ON s.tenant_id = r.tenant_id AND s.id = r.id
          WHERE s.state = 'active'
       )
       UPDATE webhook_subscriptions s
          SET failing_since = c.failing_since,
              state = CASE WHEN c.reason IS NULL THEN s.state ELSE 'disabled' END,
              disabled_reason = COALESCE(c.reason, s.disabled_reason),
              disabled_at = CASE WHEN c.reason IS NULL THEN s.disabled_at ELSE now() END,
              updated_at = CASE WHEN c.reason IS NULL THEN s.updated_at ELSE now() END
         FROM changed c
        WHERE s.tenant_id = c.tenant_id AND s.id = c.id
       RETURNING s.tenant_id, s.id, s.url, s.events, s.state, s.disabled_reason, s.disabled_at, c.reason`,
      [JSON.stringify(health.map((h) => ({ tenant_id: h.tenantId, id: h.id, last: h.last }))), FAILING_DAYS_BEFORE_DISABLED],
    );
    return rows
      .filter((r) => r.reason !== null)
      .map((r) => ({
        tenantId: Number(r.tenant_id),
        id: Number(r.id),
        url: r.url as string,
        events: r.events as string[],
        state: r.state as string,
        disabledReason: r.disabled_reason as string,
        disabledAt: r.disabled_at as Date,
      }));
  }

  // Operator data for /metrics, across tenants: pending deliveries of active subscriptions.
  async backlog(): Promise<{ backlog: number; oldest: number }> {
    const [row] = await this.db.dataSource.query(
      `SELECT count(*)::int AS backlog, COALESCE(EXTRACT(EPOCH FROM now() - min(d.created_at)), 0)::float8 AS oldest
         FROM webhook_deliveries d
        WHERE d.status = 'pending'
          AND EXISTS (SELECT 1 FROM webhook_subscriptions s WHERE s.tenant_id = d.tenant_id AND s.id = d.subscription_id AND s.state = 'active')`,
    );
    return row as { backlog: number; oldest: number };
  }
}

function toClaimed(r: ClaimedRow): ClaimedDelivery {
  return {
    tenantId: Number(r.tenant_id),
    id: Number(r.id),
    subscriptionId: Number(r.subscription_id),
    lane: r.lane,
    messageId: r.message_id,
    event: r.event,
    body: r.body,
    attempts: r.attempts,
    url: r.url,
    secretSealed: r.secret_sealed,
    previousSecretSealed: r.previous_secret_sealed,
  };
}
