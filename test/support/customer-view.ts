// What a customer sees of an agent's Desk JSON, for specs that compare the two (the exact keys are
// test/customer-view.e2e-spec.ts's, checked against its own lists).
type Row = Record<string, unknown>;

export function customerConversation(c: Row): Row {
  const contact = c.contact as Row;
  return {
    id: c.id,
    state: c.state,
    converted: c.ticket_id !== null,
    contactId: c.contactId,
    contact: { id: contact.id, type: contact.type, value: contact.value, isMain: contact.isMain },
    messages: c.messages,
    users: c.users,
    lastMessageAt: c.lastMessageAt,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

export function customerMessage(m: Row): Row {
  if (m.state === 'deleted') return { id: m.id, conversationId: m.conversationId, state: m.state, createdAt: m.createdAt, updatedAt: m.updatedAt, deletedAt: m.deletedAt };
  const clientMessageId = m.contactId === null ? null : m.clientMessageId;
  return { id: m.id, conversationId: m.conversationId, userId: m.userId, contactId: m.contactId, message: m.message, files: m.files, clientMessageId, state: m.state, createdAt: m.createdAt, updatedAt: m.updatedAt };
}
