import type { ActivityWire } from './activity.openapi';
import type { ConversationActivity } from './conversation-activity.entity';

const ACTOR_TYPES = { user: 'users', contact: 'contacts', system: 'system' } as const;

export function presentActivity(a: ConversationActivity): ActivityWire {
  return {
    id: a.id,
    conversationId: a.conversationId,
    type: a.type,
    from: a.fromValue,
    to: a.toValue,
    reason: a.reason,
    actor: { type: ACTOR_TYPES[a.actorType], id: a.actorId },
    createdAt: a.createdAt.toISOString(),
  };
}
