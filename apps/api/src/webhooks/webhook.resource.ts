import { pickFields } from '@app/common';
import { ResourceDefinition } from '../http/resource';
import type { WebhookDelivery } from './webhook-delivery.entity';
import { WEBHOOK_DELIVERY_LIST, WEBHOOK_LIST } from './webhook-list.definition';
import { presentDelivery, presentWebhook } from './webhook.presenter';
import type { WebhookSubscription } from './webhook-subscription.entity';

// A subscription, and the secret its creation or rotation just issued (shown that once).
export interface WebhookView {
  subscription: WebhookSubscription;
  secret?: string;
}

export const WEBHOOK: ResourceDefinition<WebhookView> = {
  name: 'webhook',
  plural: 'webhooks',
  present: (view, fields) => pickFields(presentWebhook(view.subscription, view.secret), fields),
  list: WEBHOOK_LIST,
};

export const WEBHOOK_DELIVERY: ResourceDefinition<WebhookDelivery> = {
  name: 'delivery',
  plural: 'deliveries',
  present: (row, fields) => pickFields(presentDelivery(row), fields),
  list: WEBHOOK_DELIVERY_LIST,
};
