import { ENTITY_REF_SCHEMA, PAGE_META_SCHEMA, wire, type Wire } from '@app/common';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { DELIVERY_STATUSES } from './webhook-delivery.entity';
import { ALL_WEBHOOK_EVENTS, WEBHOOK_EVENTS } from './webhook-events';
import { WEBHOOK_URL_MAX_LENGTH } from './url-rules';

export const WEBHOOK_EVENTS_MAX = 50;
export const SHOWN_WEBHOOK_STATES = ['active', 'disabled'] as const;
const EVENT_NAMES = [ALL_WEBHOOK_EVENTS, ...WEBHOOK_EVENTS] as const;

// A subscription, as presentWebhook() writes it.
export const WEBHOOK_SCHEMA = wire.object(
  {
    id: wire.integer(),
    url: wire.string({ maxLength: WEBHOOK_URL_MAX_LENGTH, description: 'Where deliveries are POSTed' }),
    events: wire.array(wire.enum(EVENT_NAMES), { description: 'The live events delivered; "*" for all, those added later too' }),
    state: wire.enum(SHOWN_WEBHOOK_STATES, { description: 'disabled: nothing is sent (an admin, a 410 from the receiver, or 3 days of failures)' }),
    disabledReason: wire.nullable(wire.string(), { description: 'Why it was disabled; null while active' }),
    disabledAt: wire.nullable(wire.dateTime()),
    failingSince: wire.nullable(wire.dateTime(), { description: 'Since when every attempt failed; null once one succeeds' }),
    previousSecretExpiresAt: wire.nullable(wire.dateTime(), {
      description: 'After a rotation, deliveries carry a signature of the previous secret too until then',
    }),
    secret: wire.nullable(
      wire.string({
        description: 'The signing secret (whsec_…): only in the answer to its creation or rotation, never again (null in a replay by Idempotency-Key)',
        example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      }),
    ),
    createdAt: wire.dateTime(),
    createdBy: wire.nullable(ENTITY_REF_SCHEMA),
    updatedAt: wire.dateTime(),
    updatedBy: wire.nullable(ENTITY_REF_SCHEMA),
  },
  { optional: ['secret'] },
);
export type WebhookWire = Wire<typeof WEBHOOK_SCHEMA>;

export const WEBHOOK_ENVELOPE_SCHEMA = wire.object({ webhook: WEBHOOK_SCHEMA });
export const WEBHOOKS_LIST_SCHEMA = wire.object({ webhooks: wire.array(WEBHOOK_SCHEMA), meta: PAGE_META_SCHEMA });

// One delivery of one event to one subscription, as presentDelivery() writes it.
export const WEBHOOK_DELIVERY_SCHEMA = wire.object({
  id: wire.integer(),
  webhookId: wire.string({ description: 'The webhook-id header: the same on every attempt, and on a redelivery of it' }),
  webhook: wire.with(ENTITY_REF_SCHEMA, { description: 'The subscription ({"id", "type": "webhooks"})' }),
  event: wire.string({ example: 'conversation.updated' }),
  status: wire.enum(DELIVERY_STATUSES, { description: 'pending: due, retrying or being sent; delivered: a 2xx; failed: given up' }),
  attempts: wire.integer(),
  lastStatusCode: wire.nullable(wire.integer(), { description: "The receiver's status at the last attempt" }),
  lastDurationMs: wire.nullable(wire.integer()),
  lastResponse: wire.nullable(wire.string({ maxLength: 1024, description: "At most 1 KB of the receiver's answer" })),
  lastError: wire.nullable(wire.string({ maxLength: 1024, description: 'What went wrong, when nothing or no 2xx came back' })),
  lastAttemptAt: wire.nullable(wire.dateTime()),
  nextAttemptAt: wire.nullable(wire.dateTime(), { description: 'While pending: when it is (re)tried' }),
  createdAt: wire.dateTime(),
  deliveredAt: wire.nullable(wire.dateTime()),
});
export type WebhookDeliveryWire = Wire<typeof WEBHOOK_DELIVERY_SCHEMA>;

export const WEBHOOK_DELIVERY_ENVELOPE_SCHEMA = wire.object({ delivery: WEBHOOK_DELIVERY_SCHEMA });
export const WEBHOOK_DELIVERIES_LIST_SCHEMA = wire.object({ deliveries: wire.array(WEBHOOK_DELIVERY_SCHEMA), meta: PAGE_META_SCHEMA });

const fields = (required: string[]): SchemaObject => ({
  type: 'object',
  required,
  properties: {
    url: { type: 'string', maxLength: WEBHOOK_URL_MAX_LENGTH, description: 'https (http only where the service allows it), no credentials' },
    events: { type: 'array', minItems: 1, maxItems: WEBHOOK_EVENTS_MAX, items: { type: 'string', enum: [...EVENT_NAMES] } },
    state: { type: 'string', enum: [...SHOWN_WEBHOOK_STATES], description: 'active (the default) clears why it was disabled' },
  },
});

// Desk bodies come wrapped ({"webhook": {...}}) or bare.
const body = (inner: SchemaObject): SchemaObject => ({ oneOf: [{ type: 'object', required: ['webhook'], properties: { webhook: inner } }, inner] });
export const CREATE_WEBHOOK_BODY_SCHEMA = body(fields(['url', 'events']));
export const UPDATE_WEBHOOK_BODY_SCHEMA = body(fields([]));
