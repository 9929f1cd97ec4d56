import { ENTITY_REF_SCHEMA, PAGE_META_SCHEMA, wire, type Wire } from '@app/common';
import { ACTIVITY_TYPES } from './activity.types';

// null through the branches: OpenAPI 3.0's `nullable` needs a `type` beside it, which anyOf has not.
const VALUE = wire.anyOf([wire.nullable(wire.string()), wire.nullable(ENTITY_REF_SCHEMA), wire.array(ENTITY_REF_SCHEMA)], {
  description: 'A status or priority name, a ref ({"id", "type"}: users, teams, tickets), a list of tag refs (labels), or null',
});

// One change of a conversation's workflow, as presentActivity() writes it.
export const ACTIVITY_SCHEMA = wire.object({
  id: wire.integer(),
  conversationId: wire.integer(),
  type: wire.enum(ACTIVITY_TYPES),
  from: VALUE,
  to: VALUE,
  reason: wire.nullable(wire.string({ example: 'snooze_expired' }), { description: 'Why, when the actor alone does not say' }),
  actor: wire.object(
    {
      type: wire.enum(['users', 'contacts', 'system'] as const),
      id: wire.nullable(wire.integer(), { description: 'The agent or contact; null for the system' }),
    },
    { description: 'Who made the change: an agent, the customer (one of their contacts) or the system' },
  ),
  createdAt: wire.dateTime(),
});
export type ActivityWire = Wire<typeof ACTIVITY_SCHEMA>;

export const ACTIVITIES_LIST_SCHEMA = wire.object({ activities: wire.array(ACTIVITY_SCHEMA), meta: PAGE_META_SCHEMA });
