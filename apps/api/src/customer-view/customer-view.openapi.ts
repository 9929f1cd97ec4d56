import { ENTITY_REF_SCHEMA, ENTITY_STATES, includedSchema, PAGE_META_SCHEMA, wire, type Wire } from '@app/common';
import { CONTACT_TYPES } from '../contacts/customer-contact.entity';

// The customer's view, as customer-view.presenter.ts writes it.
const TIME = wire.dateTime();
const STATE = wire.enum(ENTITY_STATES);

export const CUSTOMER_CONTACT_SCHEMA = wire.object(
  { id: wire.integer(), type: wire.enum(CONTACT_TYPES), value: wire.string(), isMain: wire.boolean() },
  { description: "One of the customer's own contacts" },
);

export const CUSTOMER_CONVERSATION_SCHEMA = wire.object(
  {
    id: wire.integer(),
    state: STATE,
    // Whether it became a ticket; never which ticket or anything of it.
    converted: wire.boolean({ description: 'Whether an agent converted it into a ticket' }),
    contactId: wire.integer(),
    contact: CUSTOMER_CONTACT_SCHEMA,
    messages: wire.array(ENTITY_REF_SCHEMA, { description: 'The latest 100 active messages, oldest first' }),
    users: wire.array(ENTITY_REF_SCHEMA, { description: "The conversation's agents" }),
    lastMessageAt: wire.nullable(TIME),
    createdAt: TIME,
    updatedAt: TIME,
  },
  { description: "The customer's view of their conversation" },
);

export const CUSTOMER_PUBLIC_MESSAGE_SCHEMA = wire.object(
  {
    id: wire.integer(),
    conversationId: wire.integer(),
    userId: wire.nullable(wire.integer(), { description: 'The author when an agent (see included users)' }),
    contactId: wire.nullable(wire.integer(), { description: 'The author when the customer' }),
    message: wire.string(),
    files: wire.array(ENTITY_REF_SCHEMA),
    clientMessageId: wire.nullable(wire.string(), { description: "The customer's own client id; null on agents' messages" }),
    // Only an active message shows its text: a deleted one is a tombstone (below).
    state: wire.enum(['active'] as const),
    createdAt: TIME,
    updatedAt: TIME,
  },
  { description: "A public message in the customer's view" },
);

export const CUSTOMER_MESSAGE_TOMBSTONE_SCHEMA = wire.object(
  { id: wire.integer(), conversationId: wire.integer(), state: wire.enum(['deleted'] as const), createdAt: TIME, updatedAt: TIME, deletedAt: wire.nullable(TIME) },
  { description: 'A deleted message: that it was there, never what it said or carried' },
);

export const CUSTOMER_MESSAGE_SCHEMA = wire.anyOf([CUSTOMER_PUBLIC_MESSAGE_SCHEMA, CUSTOMER_MESSAGE_TOMBSTONE_SCHEMA]);
export type CustomerMessageWire = Wire<typeof CUSTOMER_PUBLIC_MESSAGE_SCHEMA>;
export type CustomerMessageTombstoneWire = Wire<typeof CUSTOMER_MESSAGE_TOMBSTONE_SCHEMA>;

// A file as the customer sees it, as presentCustomerFile() writes it: no hash, storage or uploader.
export const CUSTOMER_FILE_SCHEMA = wire.object(
  {
    id: wire.integer({ description: 'Name it in `files` of a message to this conversation' }),
    filename: wire.string({ maxLength: 255, description: 'The name sent, without any path or control characters' }),
    mimeType: wire.string({ example: 'image/png', description: 'As sent, when a valid type/subtype; else application/octet-stream' }),
    size: wire.integer({ description: 'Bytes' }),
    createdAt: wire.dateTime(),
  },
  { required: ['id', 'filename', 'mimeType', 'size', 'createdAt'], additionalProperties: false },
);

// The customer themself: a name and their contacts, never what agents wrote about them.
export const CUSTOMER_SELF_SCHEMA = wire.object({
  id: wire.integer(),
  firstName: wire.string(),
  lastName: wire.string(),
  contacts: wire.array(ENTITY_REF_SCHEMA),
});

// An agent as a customer sees one: a display name (the service stores no avatar).
export const CUSTOMER_AGENT_SCHEMA = wire.object({ id: wire.integer(), name: wire.string({ description: "The agent's display name" }) });

export const CUSTOMER_INCLUDED_SCHEMA = includedSchema({
  contacts: CUSTOMER_CONTACT_SCHEMA,
  customers: CUSTOMER_SELF_SCHEMA,
  users: CUSTOMER_AGENT_SCHEMA,
  files: CUSTOMER_FILE_SCHEMA,
  conversationmessages: CUSTOMER_MESSAGE_SCHEMA,
});

export const CUSTOMER_CONVERSATION_ENVELOPE_SCHEMA = wire.object({ conversation: CUSTOMER_CONVERSATION_SCHEMA, included: CUSTOMER_INCLUDED_SCHEMA }, { optional: ['included'] });

export const CUSTOMER_MESSAGES_LIST_SCHEMA = wire.object({
  conversationmessages: wire.array(CUSTOMER_MESSAGE_SCHEMA),
  included: CUSTOMER_INCLUDED_SCHEMA,
  meta: PAGE_META_SCHEMA,
});
