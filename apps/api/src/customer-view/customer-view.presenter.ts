import { pickFields, propertiesOf, ref, type Wire } from '@app/common';
import { User } from '../auth/user.entity';
import { CustomerContact } from '../contacts/customer-contact.entity';
import type { CustomerView } from '../contacts/customer.view';
import type { ConversationView } from '../conversations/conversation.view';
import { ConversationMessage } from '../conversations/messages/conversation-message.entity';
import {
  CUSTOMER_CONVERSATION_SCHEMA,
  CUSTOMER_MESSAGE_TOMBSTONE_SCHEMA,
  CUSTOMER_PUBLIC_MESSAGE_SCHEMA,
  type CUSTOMER_AGENT_SCHEMA,
  type CUSTOMER_CONTACT_SCHEMA,
  type CUSTOMER_SELF_SCHEMA,
  type CustomerMessageTombstoneWire,
  type CustomerMessageWire,
} from './customer-view.openapi';

// What a customer (the holder of a conversation token, the widget on `private-conversation-{id}`
// and `presence-conversation-{id}`) may see: every key written out here, nothing spread from an
// agent's view, each typed by its schema in customer-view.openapi.ts. A field added to an agent's
// presenter reaches a customer only once it is added to the customer's schema and presenter too,
// and test/customer-view.e2e-spec.ts checks every key against its own lists.

export const CUSTOMER_CONVERSATION_FIELDS = propertiesOf(CUSTOMER_CONVERSATION_SCHEMA);
export const CUSTOMER_MESSAGE_FIELDS = propertiesOf(CUSTOMER_PUBLIC_MESSAGE_SCHEMA);
export const CUSTOMER_MESSAGE_TOMBSTONE_FIELDS = propertiesOf(CUSTOMER_MESSAGE_TOMBSTONE_SCHEMA);

export function presentCustomerConversation(view: ConversationView, fields: readonly string[] | null = null): Partial<Wire<typeof CUSTOMER_CONVERSATION_SCHEMA>> {
  const { conversation: c, contact, userIds, customerMessageIds } = view;
  const wire: Wire<typeof CUSTOMER_CONVERSATION_SCHEMA> = {
    id: c.id,
    state: c.state,
    converted: c.ticketId !== null,
    contactId: c.contactId,
    contact: presentCustomerContact(contact),
    messages: customerMessageIds.map((id) => ref(id, 'conversationmessages')),
    users: userIds.map((id) => ref(id, 'users')),
    lastMessageAt: c.lastMessageAt?.toISOString() ?? null,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
  return pickFields(wire, fields);
}

// A public message; a deleted one as its tombstone. The customer's own client id comes back to
// them (the widget matches its messages by it); an agent's stays with the agents. A private note
// has no customer's view at all: every door leaves notes out before presenting, so one reaching
// here is a bug, and failing beats showing it.
export function presentCustomerMessage(
  m: ConversationMessage,
  fields: readonly string[] | null = null,
): Partial<CustomerMessageWire> | CustomerMessageTombstoneWire {
  if (m.isPrivate) throw new Error(`message ${m.id} is a private note: it has no customer's view`);
  if (m.state === 'deleted') return presentMessageTombstone(m);
  const wire: CustomerMessageWire = {
    id: m.id,
    conversationId: m.conversationId,
    userId: m.userId,
    contactId: m.contactId,
    message: m.message,
    files: m.fileIds.map((id) => ref(id, 'files')),
    clientMessageId: m.contactId === null ? null : m.clientMessageId,
    state: 'active',
    createdAt: m.createdAt.toISOString(),
    updatedAt: m.updatedAt.toISOString(),
  };
  return pickFields(wire, fields);
}

function presentMessageTombstone(m: ConversationMessage): CustomerMessageTombstoneWire {
  return {
    id: m.id,
    conversationId: m.conversationId,
    state: 'deleted',
    createdAt: m.createdAt.toISOString(),
    updatedAt: m.updatedAt.toISOString(),
    deletedAt: m.deletedAt?.toISOString() ?? null,
  };
}

export function presentCustomerContact(contact: CustomerContact): Wire<typeof CUSTOMER_CONTACT_SCHEMA> {
  return { id: contact.id, type: contact.type, value: contact.value, isMain: contact.isMain };
}

export function presentCustomerSelf({ customer, contacts }: CustomerView): Wire<typeof CUSTOMER_SELF_SCHEMA> {
  return {
    id: customer.id,
    firstName: customer.firstName,
    lastName: customer.lastName,
    contacts: contacts.map((contact) => ref(contact.id, 'contacts')),
  };
}

export function presentCustomerAgent(user: Pick<User, 'id' | 'firstName' | 'lastName'>): Wire<typeof CUSTOMER_AGENT_SCHEMA> {
  return { id: user.id, name: agentDisplayName(user) };
}

export function agentDisplayName(user: Pick<User, 'firstName' | 'lastName'>): string {
  return [user.firstName, user.lastName].filter((part) => part !== '').join(' ');
}
