import { ENTITY_REF_SCHEMA, PAGE_META_SCHEMA } from '@app/common';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { CONTACT_TYPES } from '../contacts/customer-contact.entity';

// The customer's view, as customer-view.presenter.ts writes it.
const TIME = { type: 'string', format: 'date-time' } as const;

export const CUSTOMER_CONTACT_SCHEMA: SchemaObject = {
  type: 'object',
  description: "One of the customer's own contacts",
  properties: { id: { type: 'integer' }, type: { type: 'string', enum: [...CONTACT_TYPES] }, value: { type: 'string' }, isMain: { type: 'boolean' } },
};

export const CUSTOMER_CONVERSATION_SCHEMA: SchemaObject = {
  type: 'object',
  description: "The customer's view of their conversation",
  properties: {
    id: { type: 'integer' },
    state: { type: 'string', enum: ['active', 'deleted'] },
    converted: { type: 'boolean', description: 'Whether an agent converted it into a ticket' },
    contactId: { type: 'integer' },
    contact: CUSTOMER_CONTACT_SCHEMA,
    messages: { type: 'array', items: ENTITY_REF_SCHEMA, description: 'The latest 100 active messages, oldest first' },
    users: { type: 'array', items: ENTITY_REF_SCHEMA, description: "The conversation's agents" },
    lastMessageAt: { ...TIME, nullable: true },
    createdAt: TIME,
    updatedAt: TIME,
  },
};

export const CUSTOMER_MESSAGE_SCHEMA: SchemaObject = {
  type: 'object',
  description: "A public message in the customer's view (a deleted one is only id, conversationId, state, createdAt, updatedAt, deletedAt)",
  properties: {
    id: { type: 'integer' },
    conversationId: { type: 'integer' },
    userId: { type: 'integer', nullable: true, description: 'The author when an agent (see included users)' },
    contactId: { type: 'integer', nullable: true, description: 'The author when the customer' },
    message: { type: 'string' },
    files: { type: 'array', items: ENTITY_REF_SCHEMA },
    clientMessageId: { type: 'string', nullable: true, description: "The customer's own client id; null on agents' messages" },
    state: { type: 'string', enum: ['active', 'deleted'] },
    createdAt: TIME,
    updatedAt: TIME,
  },
};

// A file as the customer sees it, as presentCustomerFile() writes it: no hash, storage or uploader.
export const CUSTOMER_FILE_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['id', 'filename', 'mimeType', 'size', 'createdAt'],
  additionalProperties: false,
  properties: {
    id: { type: 'integer', description: 'Name it in `files` of a message to this conversation' },
    filename: { type: 'string', maxLength: 255, description: 'The name sent, without any path or control characters' },
    mimeType: { type: 'string', example: 'image/png', description: 'As sent, when a valid type/subtype; else application/octet-stream' },
    size: { type: 'integer', description: 'Bytes' },
    createdAt: { type: 'string', format: 'date-time' },
  },
};

const CUSTOMER_INCLUDED_SCHEMA: SchemaObject = {
  type: 'object',
  description: 'As asked by includes',
  properties: {
    contacts: { type: 'array', items: CUSTOMER_CONTACT_SCHEMA },
    customers: {
      type: 'array',
      items: {
        type: 'object',
        properties: { id: { type: 'integer' }, firstName: { type: 'string' }, lastName: { type: 'string' }, contacts: { type: 'array', items: ENTITY_REF_SCHEMA } },
      },
    },
    users: { type: 'array', items: { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string', description: "The agent's display name" } } } },
    files: { type: 'array', items: CUSTOMER_FILE_SCHEMA },
    conversationmessages: { type: 'array', items: CUSTOMER_MESSAGE_SCHEMA },
  },
};

export const CUSTOMER_CONVERSATION_ENVELOPE_SCHEMA: SchemaObject = {
  type: 'object',
  properties: { conversation: CUSTOMER_CONVERSATION_SCHEMA, included: CUSTOMER_INCLUDED_SCHEMA },
};

export const CUSTOMER_MESSAGES_LIST_SCHEMA: SchemaObject = {
  type: 'object',
  properties: { conversationmessages: { type: 'array', items: CUSTOMER_MESSAGE_SCHEMA }, included: CUSTOMER_INCLUDED_SCHEMA, meta: PAGE_META_SCHEMA },
};
