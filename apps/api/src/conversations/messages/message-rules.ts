import { ConversationMessage, MessageDirection } from './conversation-message.entity';
import { TouchedConversation } from './message.types';

// The side of the conversation a message is on, as the generated `direction` column computes it.
export function directionOf(m: { contactId: number | null }): MessageDirection {
  return m.contactId === null ? 'outbound' : 'inbound';
}

// A message's place under the unique index: tenant, conversation, side and client id.
export function messageKey(m: { tenantId: number; conversationId: number; contactId: number | null; clientMessageId: string | null }): string {
  return `${m.tenantId}:${m.conversationId}:${directionOf(m)}:${m.clientMessageId}`;
}

// Whether a message stored under a clientMessageId is the one a repeat describes: the same author,
// text, files and privacy. Anything else reuses the id for another message.
export function isSameMessage(
  stored: Pick<ConversationMessage, 'userId' | 'contactId' | 'message' | 'fileIds' | 'isPrivate'>,
  repeat: { userId: number | null; contactId: number | null; message: string; fileIds: readonly number[]; isPrivate?: boolean },
): boolean {
  return (
    stored.userId === repeat.userId &&
    stored.isPrivate === (repeat.isPrivate ?? false) &&
    stored.contactId === repeat.contactId &&
    stored.message === repeat.message &&
    stored.fileIds.length === repeat.fileIds.length &&
    stored.fileIds.every((id, index) => id === repeat.fileIds[index])
  );
}

// Per conversation, from new messages in their order (all of one time): an agent's message reads
// the conversation, and the customer's messages after the last such one are unread; the latest
// text is the last one's. A private note touches nothing: the customer would see it move, and it
// answers nobody and reopens nothing.
export function touchedBy(created: readonly ConversationMessage[]): TouchedConversation[] {
  const byConversation = new Map<number, TouchedConversation>();
  for (const m of created) {
    if (m.isPrivate) continue;
    const touched = byConversation.get(m.conversationId) ?? untouched(m);
    if (m.contactId === null) Object.assign(touched, { inbound: 0, reset: true });
    else touched.inbound++;
    touched.lastText = m.message;
    workflowOf(touched, m);
    byConversation.set(m.conversationId, touched);
  }
  return [...byConversation.values()];
}

const untouched = (m: ConversationMessage): TouchedConversation => ({
  tenantId: m.tenantId,
  conversationId: m.conversationId,
  inbound: 0,
  reset: false,
  lastText: m.message,
  replied: false,
  answers: false,
  waits: false,
  reopenBy: null,
});

// An agent's reply answers what waited; a customer's message waits, and reopens the conversation.
function workflowOf(touched: TouchedConversation, m: ConversationMessage): void {
  if (m.contactId === null) Object.assign(touched, { replied: true, answers: touched.answers || touched.waits, waits: false });
  else Object.assign(touched, { waits: true, reopenBy: touched.reopenBy ?? m.contactId });
}
