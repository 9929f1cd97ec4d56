import { Injectable } from '@nestjs/common';
import { ListPage, ListQuery, runList } from '@app/common';
import { Database } from '@app/database';
import { WebhookDelivery } from './webhook-delivery.entity';
import { WEBHOOK_DELIVERY_LIST, WEBHOOK_LIST } from './webhook-list.definition';
import { WebhookState, WebhookSubscription } from './webhook-subscription.entity';

export interface WebhookValues {
  url?: string;
  events?: string[];
  state?: Exclude<WebhookState, 'deleted'>;
}

// What a ping or a redelivery queues: a delivery of no lane and no outbox row, sent on its own.
export interface QueuedDelivery {
  messageId: string;
  event: string;
  payload: unknown;
}

// `webhook_subscriptions` and `webhook_deliveries` as the API reads and writes them (the dispatcher
// has its own statements, webhooks/delivery/). Deleted subscriptions are never found. Every query
// takes the tenant first and runs in the ambient transaction, if any.
@Injectable()
export class WebhooksRepository {
  constructor(private readonly db: Database) {}

  async findById(tenantId: number, id: number): Promise<WebhookSubscription | null> {
    return this.db.manager
      .createQueryBuilder(WebhookSubscription, 's')
      .where(`s.tenant_id = :tenantId AND s.id = :id AND s.state <> 'deleted'`, { tenantId, id })
      .getOne();
  }

  // FOR NO KEY UPDATE: a change of the subscription waits for, and is waited for by, another
  // change; FOR SHARE (a ping, a redelivery) lets deliveries be queued side by side.
  async lock(tenantId: number, id: number, mode: 'change' | 'queue'): Promise<WebhookSubscription | null> {
    return this.db.manager
      .createQueryBuilder(WebhookSubscription, 's')
      .where(`s.tenant_id = :tenantId AND s.id = :id AND s.state <> 'deleted'`, { tenantId, id })
      .setLock(mode === 'change' ? 'for_no_key_update' : 'pessimistic_read')
      .getOne();
  }

  async list(tenantId: number, query: ListQuery): Promise<ListPage<WebhookSubscription>> {
    const qb = this.db.manager.createQueryBuilder(WebhookSubscription, 's').where(`s.tenant_id = :tenantId AND s.state <> 'deleted'`, { tenantId });
    return runList(qb, WEBHOOK_LIST, query);
  }

  async insert(tenantId: number, values: Required<WebhookValues>, secretSealed: string, actorId: number): Promise<number> {
    const row = this.db.manager.create(WebhookSubscription, { ...values, secretSealed, tenantId, createdBy: actorId, updatedBy: actorId });
    await this.db.manager.insert(WebhookSubscription, row);
    return row.id;
  }

  // Becoming active forgives the past (why it was disabled, since when it failed); becoming
  // disabled by an admin says so.
  async update(tenantId: number, id: number, values: WebhookValues, actorId: number): Promise<void> {
    const state =
      values.state === 'active'
        ? { disabledReason: null, disabledAt: null, failingSince: null }
        : values.state === 'disabled'
          ? { disabledReason: 'disabled by an admin', disabledAt: () => 'now()' }
          : {};
    await this.db.manager.update(WebhookSubscription, { tenantId, id }, { ...values, ...state, updatedAt: () => 'now()', updatedBy: actorId });
  }

  // The current secret becomes the previous one, which signs too for `overlapHours` more.
  async rotateSecret(tenantId: number, id: number, secretSealed: string, overlapHours: number, actorId: number): Promise<void> {
    await this.db.query(
      `UPDATE webhook_subscriptions
          SET previous_secret_sealed = secret_sealed, previous_secret_expires_at = now() + make_interval(hours => $4),
              secret_sealed = $3, updated_at = now(), updated_by = $5
        WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id, secretSealed, overlapHours, actorId],
    );
  }

  async softDelete(tenantId: number, id: number, actorId: number): Promise<void> {
    await this.db.query(`UPDATE webhook_subscriptions SET state = 'deleted', updated_at = now(), updated_by = $3 WHERE tenant_id = $1 AND id = $2`, [
      tenantId,
      id,
      actorId,
    ]);
  }

  // Gives up what the subscription still had to send (a claimed one included: its sender's outcome
  // then finds it settled).
  async failPendingDeliveries(tenantId: number, subscriptionId: number, reason: string): Promise<void> {
    await this.db.query(
      `UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, claimed_by = NULL, last_error = $3
        WHERE tenant_id = $1 AND subscription_id = $2 AND status = 'pending'`,
      [tenantId, subscriptionId, reason],
    );
  }

  async listDeliveries(tenantId: number, subscriptionId: number, query: ListQuery): Promise<ListPage<WebhookDelivery>> {
    const qb = this.db.manager
      .createQueryBuilder(WebhookDelivery, 'd')
      .where('d.tenant_id = :tenantId AND d.subscription_id = :subscriptionId', { tenantId, subscriptionId });
    return runList(qb, WEBHOOK_DELIVERY_LIST, query, { scope: `webhook:${subscriptionId}` });
  }

  async findDelivery(tenantId: number, subscriptionId: number, id: number): Promise<WebhookDelivery | null> {
    return this.db.manager.findOneBy(WebhookDelivery, { tenantId, subscriptionId, id });
  }

  // Due at once, alone in no lane.
  async queueDelivery(tenantId: number, subscriptionId: number, delivery: QueuedDelivery): Promise<WebhookDelivery> {
    const rows: WebhookDelivery[] = await this.db.query(
      `INSERT INTO webhook_deliveries (tenant_id, subscription_id, message_id, event, lane, source_id, payload)
       VALUES ($1, $2, $3, $4, NULL, NULL, $5::jsonb)
       RETURNING ${this.db.columnsOf(WebhookDelivery)}`,
      [tenantId, subscriptionId, delivery.messageId, delivery.event, JSON.stringify(delivery.payload)],
    );
    return rows[0];
  }
}
