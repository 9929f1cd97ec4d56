import { AUDIT_OPTIONAL, AUDIT_SCHEMA_PROPERTIES, ENTITY_REF_SCHEMA, includedSchema, PAGE_META_SCHEMA, wire, type Wire } from '@app/common';
import { USER_SCHEMA } from '../../auth/user.openapi';
import { CONTACT_SCHEMA, CUSTOMER_SCHEMA } from '../../contacts/customer.openapi';
import { FILE_SCHEMA } from '../../files/file.openapi';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { REPLY_STATUSES } from '../workflow/workflow-rules';

// Teamwork Desk API v2's ConversationMessage, as presentMessage() writes it.
export const MESSAGE_SCHEMA = wire.object(
  {
    id: wire.integer(),
    conversationId: wire.integer(),
    userId: wire.nullable(wire.integer(), { description: 'The author when an agent; else null' }),
    contactId: wire.nullable(wire.integer(), { description: 'The author when the customer side; else null' }),
    message: wire.string(),
    files: wire.array(ENTITY_REF_SCHEMA),
    clientMessageId: wire.nullable(wire.string(), { description: "The client's own id: a retry with it returns this message" }),
    private: wire.boolean({ description: "A private note: agents' only, never shown to the customer" }),
    mentions: wire.array(ENTITY_REF_SCHEMA, { description: 'The agents a note mentions ({"id", "type": "users"}); empty on a public message' }),
    ...AUDIT_SCHEMA_PROPERTIES,
  },
  { optional: AUDIT_OPTIONAL },
);
export type MessageWire = Wire<typeof MESSAGE_SCHEMA>;

const INCLUDED = includedSchema({ contacts: CONTACT_SCHEMA, customers: CUSTOMER_SCHEMA, files: FILE_SCHEMA, users: USER_SCHEMA });

export const MESSAGE_ENVELOPE_SCHEMA = wire.object({ conversationmessage: MESSAGE_SCHEMA, included: INCLUDED }, { optional: ['included'] });

export const MESSAGES_LIST_SCHEMA = wire.object({ conversationmessages: wire.array(MESSAGE_SCHEMA), included: INCLUDED, meta: PAGE_META_SCHEMA });

// An agent as a request names one: {"id": 7} or {"id": 7, "type": "users"}.
const USER_REF_BODY: SchemaObject = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'integer' }, type: { type: 'string', enum: ['users'] } },
};

export const CREATE_MESSAGE_BODY_SCHEMA: SchemaObject = {
  type: 'object',
  description: 'Wrapped in {"conversationmessage": …} or bare',
  required: ['conversationId'],
  properties: {
    conversationId: { type: 'integer' },
    conversation: { ...ENTITY_REF_SCHEMA, description: 'Instead of conversationId' },
    message: { type: 'string', maxLength: 65536, description: 'Required unless files are attached' },
    userId: { type: 'integer', description: 'The agent author; the caller by default' },
    contactId: { type: 'integer', description: "The customer-side author: a contact of the conversation's customer" },
    files: { type: 'array', maxItems: 20, items: { type: 'integer' }, description: 'File ids (or refs) of the tenant' },
    clientMessageId: { type: 'string', maxLength: 128, description: 'Dedupe key within its side of the conversation (the customer’s or the agents’)' },
    private: { type: 'boolean', description: "A private note (an agent's only): never shown to the customer; false by default" },
    mentions: {
      type: 'array',
      maxItems: 50,
      items: USER_REF_BODY,
      description: 'Agents of the tenant a note mentions, as user refs (a note only); each is told on private-user-{id}',
    },
    conversationStatus: {
      type: 'string',
      enum: [...REPLY_STATUSES],
      description: "An agent's message only: the conversation's status after it, in the same transaction (e.g. pending: waiting on the customer)",
    },
  },
};

export const UPDATE_MESSAGE_BODY_SCHEMA: SchemaObject = {
  type: 'object',
  description: 'Wrapped in {"conversationmessage": …} or bare; omitted properties are unchanged',
  properties: {
    message: { type: 'string', maxLength: 65536 },
    files: { type: 'array', maxItems: 20, items: { type: 'integer' } },
    state: { type: 'string', enum: ['active', 'deleted'] },
    private: { type: 'boolean', description: 'Read-only: accepted when unchanged' },
    mentions: { type: 'array', items: USER_REF_BODY, description: 'Read-only: accepted when unchanged' },
  },
};
