// What a customer sees of an agent's Desk JSON, for specs that compare the two (the exact keys are
// test/customer-view.e2e-spec.ts's, checked against its own lists).
type Row = Record<string, unknown>;

// `noteIds`: the private notes among the agents' `messages` refs, which the customer's list leaves
// out (it then holds the latest public messages: give the notes only when the agents' list is short).
export function customerConversation(c: Row, noteIds: readonly number[] = []): Row {
  const contact = c.contact as Row;
  return {
    id: c.id,
    state: c.state,
    converted: c.ticket_id !== null,
    contactId: c.contactId,
    contact: { id: contact.id, type: contact.type, value: contact.value, isMain: contact.isMain },
    messages: (c.messages as { id: number }[]).filter((m) => !noteIds.includes(m.id)),
    users: c.users,
    lastMessageAt: c.lastMessageAt,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

// A note has no customer's view: it never reaches the customer.
export function customerMessage(m: Row): Row {
  if (m.private === true) throw new Error(`message ${String(m.id)} is a private note: the customer never sees it`);
  if (m.state === 'deleted') return { id: m.id, conversationId: m.conversationId, state: m.state, createdAt: m.createdAt, updatedAt: m.updatedAt, deletedAt: m.deletedAt };
  const clientMessageId = m.contactId === null ? null : m.clientMessageId;
  return { id: m.id, conversationId: m.conversationId, userId: m.userId, contactId: m.contactId, message: m.message, files: m.files, clientMessageId, state: m.state, createdAt: m.createdAt, updatedAt: m.updatedAt };
}
