import { auditFields, pickFields, ref, representationVersion } from '@app/common';
import { presentContact } from '../contacts/contacts.presenter';
import type { ConversationWire } from './conversation.openapi';
import type { ConversationView } from './conversation.view';

export interface PresentOptions {
  // The plaintext token, on the one response that issues it.
  token?: string;
  fields?: string[] | null;
}

// Teamwork Desk API v2's Conversation, field for field (snake_case `socket_id` and `ticket_id`
// included).
export function presentConversation({ conversation: c, contact, userIds, messageIds, onlineMembers }: ConversationView, options: PresentOptions = {}): Partial<ConversationWire> {
  const wire: ConversationWire = {
    id: c.id,
    contact: presentContact(contact),
    contactId: c.contactId,
    lastMessageAt: c.lastMessageAt?.toISOString() ?? null,
    messages: messageIds.map((id) => ref(id, 'conversationmessages')),
    // Who is on the conversation's Pusher channels, as its webhooks last said.
    online: { widget: c.widgetOnline, widgetChangedAt: c.widgetOnlineAt?.toISOString() ?? null, members: onlineMembers },
    socket_id: c.socketId,
    ticket_id: c.ticketId,
    token: options.token ?? null,
    users: userIds.map((id) => ref(id, 'users')),
    status: c.status,
    priority: c.priority,
    assignee: ref(c.assigneeId, 'users'),
    team: ref(c.teamId, 'teams'),
    labels: c.labelIds.map((id) => ref(id, 'tags')),
    waitingSince: iso(c.waitingSince),
    firstReplyAt: iso(c.firstReplyAt),
    resolvedAt: iso(c.resolvedAt),
    snoozedUntil: iso(c.snoozedUntil),
    ...auditFields(c),
  };
  return pickFields(wire, options.fields ?? null);
}

// The version its ETag shows: of the whole wire form, whatever `fields` a response picks, and
// without a token (shown once, never stored).
export function conversationVersion(view: ConversationView): string {
  return representationVersion(presentConversation(view));
}

const iso = (at: Date | null): string | null => at?.toISOString() ?? null;
