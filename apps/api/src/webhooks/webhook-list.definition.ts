import { ListSpec } from '@app/common';
import { DELIVERY_STATUSES } from './webhook-delivery.entity';
import { SHOWN_WEBHOOK_STATES } from './webhook.openapi';

// GET /webhooks.json. Deleted subscriptions are never listed (the repository leaves them out), so
// there is no state default to lift.
export const WEBHOOK_LIST: ListSpec = {
  filterable: {
    id: { column: 's.id', type: 'integer' },
    url: { column: 's.url', type: 'string' },
    state: { column: 's.state', type: 'string', values: SHOWN_WEBHOOK_STATES },
    createdAt: { column: 's.created_at', type: 'date' },
    updatedAt: { column: 's.updated_at', type: 'date' },
  },
  // A tenant has a handful: pk_webhook_subscriptions serves id, the rest sorts in memory.
  sortable: ['id', 'createdAt'],
  defaultOrderBy: 'id',
  defaultOrderMode: 'asc',
  includes: [],
  fields: ['createdAt', 'createdBy', 'disabledAt', 'disabledReason', 'events', 'failingSince', 'id', 'previousSecretExpiresAt', 'state', 'updatedAt', 'updatedBy', 'url'],
  stateField: null,
  tieBreaker: 's.id',
};

// GET /webhooks/{id}/deliveries.json: newest first, in the order ix_webhook_deliveries_subscription
// (tenant_id, subscription_id, id) serves; a cursor walks back through a long log.
export const WEBHOOK_DELIVERY_LIST: ListSpec = {
  filterable: {
    id: { column: 'd.id', type: 'integer' },
    event: { column: 'd.event', type: 'string' },
    status: { column: 'd.status', type: 'string', values: DELIVERY_STATUSES },
    attempts: { column: 'd.attempts', type: 'integer' },
    lastStatusCode: { column: 'd.last_status_code', type: 'integer', nullable: true },
    createdAt: { column: 'd.created_at', type: 'date' },
    deliveredAt: { column: 'd.delivered_at', type: 'date', nullable: true },
    nextAttemptAt: { column: 'd.next_attempt_at', type: 'date', nullable: true },
  },
  sortable: ['id'],
  defaultOrderBy: 'id',
  defaultOrderMode: 'desc',
  includes: [],
  fields: [
    'attempts',
    'createdAt',
    'deliveredAt',
    'event',
    'id',
    'lastAttemptAt',
    'lastDurationMs',
    'lastError',
    'lastResponse',
    'lastStatusCode',
    'nextAttemptAt',
    'status',
    'webhook',
    'webhookId',
  ],
  stateField: null,
  tieBreaker: 'd.id',
};
