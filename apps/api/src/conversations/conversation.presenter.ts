import { auditFields, pickFields, ref } from '@app/common';
import { presentPublicUser, presentUser } from '../auth/user.presenter';
import { presentContact, presentCustomer } from '../contacts/contacts.presenter';
import { ConversationIncluded, ConversationView } from './conversations.service';

export interface PresentOptions {
  // The plaintext token, on the one response that issues it.
  token?: string;
  fields?: string[] | null;
}

// The seeds' Conversation, field for field (snake_case `socket_id` and `ticket_id` included).
export function presentConversation({ conversation: c, contact, userIds }: ConversationView, options: PresentOptions = {}) {
  const wire = {
    id: c.id,
    contact: presentContact(contact),
    contactId: c.contactId,
    // The messages API arrives with conversation messages; until then there are none to refer to.
    messages: [] as { id: number; type: string }[],
    socket_id: c.socketId,
    ticket_id: c.ticketId,
    token: options.token ?? null,
    users: userIds.map((id) => ref(id, 'users')),
    ...auditFields(c),
  };
  return pickFields(wire, options.fields ?? null);
}

// `included`, keyed by plural type. A widget (publicView) sees agents' names only.
export function presentIncluded(included: ConversationIncluded, publicView = false) {
  const wire: Record<string, unknown[]> = {};
  if (included.contacts) wire.contacts = included.contacts.map(presentContact);
  if (included.customers) {
    wire.customers = included.customers.map(({ customer, contactIds }) => presentCustomer(customer, contactIds));
  }
  if (included.users) wire.users = included.users.map(publicView ? presentPublicUser : presentUser);
  return wire;
}
