import { ref } from '@app/common';
import type { MentionWire } from './mention.openapi';
import type { MentionView } from './mention.view';

export function presentMention(m: MentionView): MentionWire {
  return {
    id: m.id,
    conversationId: m.conversationId,
    message: ref(m.id, 'conversationmessages'),
    mentionedBy: ref(m.mentionedBy, 'users'),
    createdAt: m.createdAt.toISOString(),
  };
}
