import { LiveEventName } from '../live/live-events';

// What a subscription may ask for (`events`): every live event agents receive, by the same name, or
// `*` for all of them, those added later included. A ping is `webhook.test`, sent only on request.
export const WEBHOOK_EVENTS = [
  'conversation.created',
  'conversation.updated',
  'conversation.converted',
  'conversation.activity',
  'mention.created',
  'message.created',
  'message.updated',
  'ticket.created',
  'ticket.updated',
  'webhook.disabled',
] as const satisfies readonly LiveEventName[];

export type WebhookEventName = (typeof WEBHOOK_EVENTS)[number];

export const ALL_WEBHOOK_EVENTS = '*';

export const WEBHOOK_TEST_EVENT = 'webhook.test';
