import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ConflictError, ForbiddenError, ListQuery, NotFoundError, PageMeta, ValidationError } from '@app/common';
import { AppConfig } from '@app/config';
import { Database } from '@app/database';
import { AuthErrorCode } from '../auth/auth.errors';
import { Principal } from '../auth/principal';
import { webhookAddressRules, webhookUrlRefusal } from './delivery/safe-address';
import { webhookUrlProblem } from './url-rules';
import type { WebhookDelivery } from './webhook-delivery.entity';
import { WEBHOOK_TEST_EVENT } from './webhook-events';
import { WebhookSecrets } from './webhook-secrets';
import type { WebhookSubscription } from './webhook-subscription.entity';
import { WebhookErrorCode } from './webhooks.errors';
import { QueuedDelivery, WebhookValues, WebhooksRepository } from './webhooks.repository';
import type { WebhookView } from './webhook.resource';

// How long a rotated-out secret keeps signing, so receivers can switch without losing a delivery.
export const PREVIOUS_SECRET_HOURS = 24;

// What webhook bodies carry once their DTO has checked them; omitted means unchanged (PATCH).
export interface WebhookInput {
  url?: string;
  events?: string[];
  state?: 'active' | 'disabled';
}

// A tenant's webhook subscriptions, for its admins only (the routes refuse agents first; every
// method checks again): their settings, their signing secret (shown once), and their deliveries'
// log, pings and redeliveries.
@Injectable()
export class WebhooksService {
  constructor(
    private readonly db: Database,
    private readonly webhooks: WebhooksRepository,
    private readonly secrets: WebhookSecrets,
    private readonly config: AppConfig,
  ) {}

  async list(principal: Principal, query: ListQuery): Promise<{ views: WebhookView[]; meta: PageMeta }> {
    const { tenantId } = admin(principal);
    const page = await this.webhooks.list(tenantId, query);
    return { views: page.rows.map((subscription) => ({ subscription })), meta: page.meta };
  }

  // Another tenant's, and deleted ones, are not found.
  async get(principal: Principal, id: number): Promise<WebhookView> {
    const { tenantId } = admin(principal);
    return { subscription: await this.found(tenantId, id) };
  }

  async create(principal: Principal, input: WebhookInput): Promise<WebhookView> {
    const { tenantId, userId } = admin(principal);
    const values = { url: await this.checkedUrl(input.url!), events: distinct(input.events!), state: input.state ?? 'active' };
    const { secret, sealed } = this.secrets.issue();
    const id = await this.db.transaction(() => this.webhooks.insert(tenantId, values, sealed, userId));
    return { subscription: await this.found(tenantId, id), secret };
  }

  // Only the given properties change; updatedAt/updatedBy move only when one really did.
  async update(principal: Principal, id: number, input: WebhookInput): Promise<WebhookView> {
    const { tenantId, userId } = admin(principal);
    const wanted: WebhookValues = {};
    if (input.url !== undefined) wanted.url = await this.checkedUrl(input.url);
    if (input.events !== undefined) wanted.events = distinct(input.events);
    if (input.state !== undefined) wanted.state = input.state;
    return this.db.transaction(async () => {
      const current = await this.webhooks.lock(tenantId, id, 'change');
      if (!current) throw webhookNotFound(id);
      const changes = changedValues(current, wanted);
      if (Object.keys(changes).length > 0) await this.webhooks.update(tenantId, id, changes, userId);
      return { subscription: await this.found(tenantId, id) };
    });
  }

  // The new secret is answered once; the one it replaces keeps signing for PREVIOUS_SECRET_HOURS.
  async rotateSecret(principal: Principal, id: number): Promise<WebhookView> {
    const { tenantId, userId } = admin(principal);
    const { secret, sealed } = this.secrets.issue();
    return this.db.transaction(async () => {
      if (!(await this.webhooks.lock(tenantId, id, 'change'))) throw webhookNotFound(id);
      await this.webhooks.rotateSecret(tenantId, id, sealed, PREVIOUS_SECRET_HOURS, userId);
      return { subscription: await this.found(tenantId, id), secret };
    });
  }

  // Not found afterwards; what it still had to send is given up in the same transaction.
  async remove(principal: Principal, id: number): Promise<void> {
    const { tenantId, userId } = admin(principal);
    await this.db.transaction(async () => {
      if (!(await this.webhooks.lock(tenantId, id, 'change'))) throw webhookNotFound(id);
      await this.webhooks.softDelete(tenantId, id, userId);
      await this.webhooks.failPendingDeliveries(tenantId, id, 'subscription deleted');
    });
  }

  async listDeliveries(principal: Principal, id: number, query: ListQuery): Promise<{ rows: WebhookDelivery[]; meta: PageMeta }> {
    const { tenantId } = admin(principal);
    await this.found(tenantId, id);
    const page = await this.webhooks.listDeliveries(tenantId, id, query);
    return { rows: page.rows, meta: page.meta };
  }

  // A new delivery of the same body under the same webhook-id (a receiver that stored the first
  // one recognises it), sent on its own, outside the order of its conversation.
  async redeliver(principal: Principal, id: number, deliveryId: number): Promise<WebhookDelivery> {
    const { tenantId } = admin(principal);
    return this.queue(tenantId, id, async () => {
      const original = await this.webhooks.findDelivery(tenantId, id, deliveryId);
      if (!original) throw new NotFoundError(WebhookErrorCode.DeliveryNotFound, `delivery ${deliveryId} of webhook ${id} not found`);
      return { messageId: original.messageId, event: original.event, payload: original.payload };
    });
  }

  // A ping: 'webhook.test', to check the receiver and its verification of signatures.
  async test(principal: Principal, id: number): Promise<WebhookDelivery> {
    return this.queue(admin(principal).tenantId, id, async () => ({
      messageId: `msg_${randomBytes(16).toString('hex')}`,
      event: WEBHOOK_TEST_EVENT,
      payload: { type: WEBHOOK_TEST_EVENT, timestamp: new Date().toISOString(), data: { webhookId: id } },
    }));
  }

  // Queued only to an active subscription (a disabled one sends nothing); the share lock keeps a
  // deletion from passing between the check and the insert.
  private async queue(tenantId: number, id: number, delivery: () => Promise<QueuedDelivery>): Promise<WebhookDelivery> {
    return this.db.transaction(async () => {
      const subscription = await this.webhooks.lock(tenantId, id, 'queue');
      if (!subscription) throw webhookNotFound(id);
      const queued = await delivery();
      if (subscription.state !== 'active') throw new ConflictError(WebhookErrorCode.WebhookNotActive, `webhook ${id} is disabled; make it active first`);
      return this.webhooks.queueDelivery(tenantId, id, queued);
    });
  }

  private async found(tenantId: number, id: number): Promise<WebhookSubscription> {
    const subscription = await this.webhooks.findById(tenantId, id);
    if (!subscription) throw webhookNotFound(id);
    return subscription;
  }

  // The URL's text, then where its host resolves now, by the sender's rules (checked again at
  // every delivery, as an address can change).
  private async checkedUrl(url: string): Promise<string> {
    const problem = webhookUrlProblem(url, this.config.WEBHOOK_ALLOW_HTTP) ?? (await webhookUrlRefusal(url, webhookAddressRules(this.config)));
    if (problem !== null) throw ValidationError.of('url', problem, WebhookErrorCode.UrlInvalid);
    return url;
  }
}

function admin(principal: Principal): Principal {
  if (principal.role !== 'admin') throw new ForbiddenError(AuthErrorCode.AdminRequired, 'only an admin may manage webhooks');
  return principal;
}

function distinct(events: string[]): string[] {
  return [...new Set(events)];
}

function changedValues(current: WebhookSubscription, values: WebhookValues): WebhookValues {
  const changes: WebhookValues = {};
  if (values.url !== undefined && values.url !== current.url) changes.url = values.url;
  if (values.events !== undefined && values.events.join('\n') !== current.events.join('\n')) changes.events = values.events;
  if (values.state !== undefined && values.state !== current.state) changes.state = values.state;
  return changes;
}

export function webhookNotFound(id: number): NotFoundError {
  return new NotFoundError(WebhookErrorCode.WebhookNotFound, `webhook ${id} not found`);
}
