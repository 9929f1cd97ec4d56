import { WebhookDeliveriesPurge } from './webhook-deliveries-purge';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WebhookDisabledNotice } from './webhook-disabled-notice';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookFanOut } from './webhook-fan-out';
import { WebhookMetrics } from './webhook-metrics';

// The delivery side of the webhooks module (fan-out, dispatcher, metrics, purge), for its providers.
export const WEBHOOK_DELIVERY_PROVIDERS = [WebhookDeliveriesRepository, WebhookFanOut, WebhookDisabledNotice, WebhookMetrics, WebhookDispatcher, WebhookDeliveriesPurge];
