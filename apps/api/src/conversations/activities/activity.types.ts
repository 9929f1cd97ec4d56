import type { EntityRef } from '@app/common';

// What an activity records: a change of one of a conversation's workflow fields, a conversion,
// or a routing decision (docs/architecture.md, "The conversation workflow").
export const ACTIVITY_TYPES = ['status', 'priority', 'assignee', 'team', 'labels', 'converted', 'queued'] as const;
export type ActivityType = (typeof ACTIVITY_TYPES)[number];

// Who made the change: an agent, the customer (one of their contacts) or the service itself
// (a snooze waking up, routing).
export type ActivityActor = { type: 'user'; id: number } | { type: 'contact'; id: number } | { type: 'system' };

// A value before or after: a status or priority name, a ref ({"id", "type"}), a list of refs, or null.
export type ActivityValue = string | EntityRef | EntityRef[] | null;

// Why the change happened, when the actor alone does not say: `snooze_expired`, `customer_message`,
// `agent_reply`, `round_robin`, `balanced`, `no_eligible_member`, ….
export type ActivityReason = string | null;

export interface NewActivity {
  tenantId: number;
  conversationId: number;
  type: ActivityType;
  from: ActivityValue;
  to: ActivityValue;
  actor: ActivityActor;
  reason?: ActivityReason;
}

export const SYSTEM: ActivityActor = { type: 'system' };
export const byUser = (id: number): ActivityActor => ({ type: 'user', id });
export const byContact = (id: number): ActivityActor => ({ type: 'contact', id });
