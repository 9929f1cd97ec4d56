import { auditFields, pickFields, ref } from '@app/common';
import { ConversationMessage } from './conversation-message.entity';
import type { MessageWire } from './message.openapi';

// Teamwork Desk API v2's ConversationMessage, plus conversationId, clientMessageId and a note's
// privacy and mentions (agents' JSON only: the customer's view is customer-view/'s).
export function presentMessage(m: ConversationMessage, fields: readonly string[] | null = null): Partial<MessageWire> {
  const wire: MessageWire = {
    id: m.id,
    conversationId: m.conversationId,
    userId: m.userId,
    contactId: m.contactId,
    message: m.message,
    files: m.fileIds.map((id) => ref(id, 'files')),
    clientMessageId: m.clientMessageId,
    private: m.isPrivate,
    mentions: m.mentionIds.map((id) => ref(id, 'users')),
    ...auditFields(m),
  };
  return pickFields(wire, fields);
}
