import { Injectable } from '@nestjs/common';
import { Database } from '@app/database';
import { conversationChannel, tenantChannel, userChannel } from './pusher-channels';

// The server events dashboards and widgets receive: agents the resource's Desk JSON on their
// tenant's channel; the customer, on their conversation's channel, the customer's view of it.
export type LiveEventName =
  | 'conversation.created'
  | 'conversation.updated'
  | 'conversation.converted'
  | 'conversation.activity'
  | 'mention.created'
  | 'message.created'
  | 'message.updated'
  | 'ticket.created'
  | 'ticket.updated'
  | 'webhook.disabled';

// The customer's view of a change (customer-view/), for their conversation's channel.
export interface CustomerLiveData {
  conversationId: number;
  data: unknown;
}

export interface LiveEvent {
  tenantId: number;
  name: LiveEventName;
  // The agents' JSON, for the tenant's channel only (or one agent's, with `userId`).
  data: unknown;
  // When set, the agents' JSON goes to this agent's own channel (`private-user-{id}`) instead of
  // the tenant's.
  userId?: number | null;
  // When set, a separate trigger of the same event on the conversation's channel, with only this:
  // that channel is the widget's, and never carries the agents' JSON.
  customer?: CustomerLiveData | null;
  // The Pusher connection that caused the change, which does not get its own echo.
  socketId?: string | null;
  actorId?: number | null;
  // false: the webhooks' fan-out does not read this event (one event sent to several agents'
  // channels is one webhook event: all but one of its copies say false). Default true.
  fanOut?: boolean;
}

// What an event needs of the agent whose request made the change (the auth Principal fits).
export interface LiveEventActor {
  tenantId: number;
  userId: number;
  socketId?: string | null;
}

// The event of a change an agent's request made: in its tenant, by its user, and not echoed to the
// Pusher connection it came from.
export function liveEventBy(
  principal: LiveEventActor,
  name: LiveEventName,
  data: unknown,
  customer: CustomerLiveData | null = null,
): LiveEvent {
  return { tenantId: principal.tenantId, name, data, customer, socketId: principal.socketId ?? null, actorId: principal.userId };
}

// What an outbox row of topic `pusher` holds: one trigger of one event on its channels (this service
// writes one channel a row, so each channel's data is its audience's).
export interface LiveEventPayload {
  event: LiveEventName;
  channels: string[];
  data: unknown;
  socketId: string | null;
}

export const LIVE_EVENTS_TOPIC = 'pusher';

// SQL over `r.tenant_id` that is true when the tenant's agents' events are read by the webhooks'
// fan-out: the webhooks module, which owns the subscriptions, hands it over at start
// (fanOutWhen). Until then, and in the CLI, nothing is marked.
const NO_FAN_OUT = 'false';

// Writes live updates to the outbox in the transaction of the change they report, so a change
// that rolls back sends nothing and one that commits is sent even if the process dies right after.
@Injectable()
export class LiveEvents {
  private fanOutSql = NO_FAN_OUT;

  constructor(private readonly db: Database) {}

  // The agents' rows (never the customer's view, nor an event with fanOut false) of tenants for
  // which `sql` holds are marked for the webhooks' fan-out, in the insert itself.
  fanOutWhen(sql: string): void {
    this.fanOutSql = sql;
  }

  async publish(events: readonly LiveEvent[]): Promise<void> {
    if (events.length === 0) return;
    if (!this.db.inTransaction) throw new Error('live events are written in the transaction of the change they report');
    const rows = events.flatMap((e) => {
      const row = (channel: string, data: unknown, agents: boolean) => ({
        tenant_id: e.tenantId,
        created_by: e.actorId ?? null,
        agents: agents && e.fanOut !== false,
        payload: { event: e.name, channels: [channel], data, socketId: e.socketId ?? null } satisfies LiveEventPayload,
      });
      const agents = row(e.userId ? userChannel(e.userId) : tenantChannel(e.tenantId), e.data, true);
      return e.customer ? [row(conversationChannel(e.customer.conversationId), e.customer.data, false), agents] : [agents];
    });
    await this.db.manager.query(
      `INSERT INTO outbox (tenant_id, topic, payload, created_by, webhooks_pending)
       SELECT r.tenant_id, $2, r.payload, r.created_by, r.agents AND ${this.fanOutSql}
         FROM jsonb_to_recordset($1::jsonb) AS r(tenant_id bigint, payload jsonb, created_by bigint, agents boolean)`,
      [JSON.stringify(rows), LIVE_EVENTS_TOPIC],
    );
  }
}
