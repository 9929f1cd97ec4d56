import { auditFields, pickFields, ref, representationVersion } from '@app/common';
import { TicketMessage } from './ticket-message.entity';
import type { TicketMessageWire, TicketWire } from './ticket.openapi';
import type { TicketView } from './ticket.view';

// Teamwork's Ticket, with relations as refs; `fields` makes it sparse (the id always stays).
export function presentTicket({ ticket: t, tagIds, customFields, messageIds }: TicketView, fields: readonly string[] | null = null): Partial<TicketWire> {
  const wire: TicketWire = {
    id: t.id,
    subject: t.subject,
    previewText: t.previewText,
    customer: ref(t.customerId, 'customers'),
    contact: ref(t.contactId, 'contacts'),
    agent: ref(t.agentId, 'users'),
    inbox: ref(t.inboxId, 'inboxes'),
    status: ref(t.statusId, 'ticketstatuses'),
    priority: ref(t.priorityId, 'ticketpriorities'),
    type: ref(t.typeId, 'tickettypes'),
    source: ref(t.sourceId, 'ticketsources'),
    tags: tagIds.map((id) => ref(id, 'tags')),
    customfields: customFields.map(({ id, value }) => ({ id, value })),
    cc: t.cc,
    bcc: t.bcc,
    files: t.fileIds.map((id) => ref(id, 'files')),
    messages: messageIds.map((id) => ref(id, 'messages')),
    messageCount: t.messageCount,
    parent: ref(t.parentId, 'tickets'),
    editMethod: t.editMethod,
    isRead: t.isRead,
    sendFrom: t.sendFrom,
    conversation: ref(t.conversationId, 'conversations'),
    ...auditFields(t),
  };
  return pickFields(wire, fields);
}

// The version its ETag shows: of the whole wire form, whatever `fields` a response picks.
export function ticketVersion(view: TicketView): string {
  return representationVersion(presentTicket(view));
}

// One entry of a ticket's thread.
export function presentTicketMessage(m: TicketMessage, fields: readonly string[] | null = null): Partial<TicketMessageWire> {
  const wire: TicketMessageWire = {
    id: m.id,
    ticket: ref(m.ticketId, 'tickets'),
    threadType: m.threadType,
    message: m.message,
    editMethod: m.editMethod,
    user: ref(m.userId, 'users'),
    contact: ref(m.contactId, 'contacts'),
    cc: m.cc,
    bcc: m.bcc,
    files: m.fileIds.map((id) => ref(id, 'files')),
    conversationMessage: ref(m.conversationMessageId, 'conversationmessages'),
    emailMessageId: m.emailMessageId,
    emailStatus: m.emailStatus,
    emailError: m.emailError,
    ...auditFields(m),
  };
  return pickFields(wire, fields);
}
