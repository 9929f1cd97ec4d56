import { ref } from '@app/common';
import type { WebhookDelivery } from './webhook-delivery.entity';
import type { WebhookSubscription } from './webhook-subscription.entity';
import type { WebhookDeliveryWire, WebhookWire } from './webhook.openapi';

const iso = (date: Date | null): string | null => date?.toISOString() ?? null;

// A subscription as admins see it (the API, and the 'webhook.disabled' live event). Its secrets
// never: `secret` is given only by its creation or rotation, which just issued it.
export function presentWebhook(row: WebhookSubscription, secret?: string): WebhookWire {
  const wire: WebhookWire = {
    id: row.id,
    url: row.url,
    events: row.events as WebhookWire['events'],
    // Deleted ones are never found, so never presented.
    state: row.state === 'disabled' ? 'disabled' : 'active',
    disabledReason: row.disabledReason,
    disabledAt: iso(row.disabledAt),
    failingSince: iso(row.failingSince),
    previousSecretExpiresAt: iso(row.previousSecretExpiresAt),
    createdAt: row.createdAt.toISOString(),
    createdBy: ref(row.createdBy, 'users'),
    updatedAt: row.updatedAt.toISOString(),
    updatedBy: ref(row.updatedBy, 'users'),
  };
  if (secret !== undefined) wire.secret = secret;
  return wire;
}

export function presentDelivery(row: WebhookDelivery): WebhookDeliveryWire {
  return {
    id: row.id,
    webhookId: row.messageId,
    webhook: { id: row.subscriptionId, type: 'webhooks' },
    event: row.event,
    status: row.status,
    attempts: row.attempts,
    lastStatusCode: row.lastStatusCode,
    lastDurationMs: row.lastDurationMs,
    lastResponse: row.lastResponse,
    lastError: row.lastError,
    lastAttemptAt: iso(row.lastAttemptAt),
    nextAttemptAt: iso(row.nextAttemptAt),
    createdAt: row.createdAt.toISOString(),
    deliveredAt: iso(row.deliveredAt),
  };
}
