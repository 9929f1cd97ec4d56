import { AUDIT_SCHEMA_PROPERTIES, ENTITY_REF_SCHEMA, PAGE_META_SCHEMA } from '@app/common';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';

// Teamwork Desk API v2's ConversationMessage, as presentMessage() writes it.
export const MESSAGE_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    conversationId: { type: 'integer' },
    userId: { type: 'integer', nullable: true, description: 'The author when an agent; else null' },
    contactId: { type: 'integer', nullable: true, description: 'The author when the customer side; else null' },
    message: { type: 'string' },
    files: { type: 'array', items: ENTITY_REF_SCHEMA },
    clientMessageId: { type: 'string', nullable: true, description: "The client's own id: a retry with it returns this message" },
    ...AUDIT_SCHEMA_PROPERTIES,
  },
};

export const MESSAGE_ENVELOPE_SCHEMA: SchemaObject = {
  type: 'object',
  properties: { conversationmessage: MESSAGE_SCHEMA, included: { type: 'object' } },
};

export const MESSAGES_LIST_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    conversationmessages: { type: 'array', items: MESSAGE_SCHEMA },
    included: { type: 'object', description: 'contacts, customers, files, users: as asked by includes' },
    meta: PAGE_META_SCHEMA,
  },
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
  },
};

export const UPDATE_MESSAGE_BODY_SCHEMA: SchemaObject = {
  type: 'object',
  description: 'Wrapped in {"conversationmessage": …} or bare; omitted properties are unchanged',
  properties: {
    message: { type: 'string', maxLength: 65536 },
    files: { type: 'array', maxItems: 20, items: { type: 'integer' } },
    state: { type: 'string', enum: ['active', 'deleted'] },
  },
};
