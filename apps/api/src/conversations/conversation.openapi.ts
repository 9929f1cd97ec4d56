import { AUDIT_SCHEMA_PROPERTIES, ENTITY_REF_SCHEMA, PAGE_META_SCHEMA } from '@app/common';
import { CONTACT_SCHEMA } from '../contacts/customer.openapi';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';

// Teamwork Desk API v2's Conversation, as presentConversation() writes it.
export const CONVERSATION_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    contact: CONTACT_SCHEMA,
    lastMessageAt: { type: 'string', format: 'date-time', nullable: true, description: 'When the latest message was posted' },
    contactId: { type: 'integer' },
    messages: { type: 'array', items: ENTITY_REF_SCHEMA, description: 'The latest 100 active messages, oldest first' },
    online: {
      type: 'object',
      description: "Who is on the conversation's Pusher channels, as Pusher's webhooks last said",
      properties: {
        widget: { type: 'boolean', description: 'The widget is subscribed to private-conversation-{id}' },
        widgetChangedAt: { type: 'string', format: 'date-time', nullable: true },
        members: { type: 'array', items: { type: 'string', example: 'user-7' }, description: 'Members on presence-conversation-{id}' },
      },
    },
    socket_id: { type: 'string', nullable: true },
    ticket_id: { type: 'integer', nullable: true, description: 'Set once converted to a ticket' },
    token: { type: 'string', nullable: true, description: 'Only on the response that issues it' },
    users: { type: 'array', items: ENTITY_REF_SCHEMA },
    ...AUDIT_SCHEMA_PROPERTIES,
  },
};

export const CONVERSATION_ENVELOPE_SCHEMA: SchemaObject = {
  type: 'object',
  properties: { conversation: CONVERSATION_SCHEMA, included: { type: 'object' } },
};

export const CONVERSATIONS_LIST_SCHEMA: SchemaObject = {
  type: 'object',
  properties: {
    conversations: { type: 'array', items: CONVERSATION_SCHEMA },
    included: { type: 'object', description: 'contacts, conversationmessages, customers, users: as asked by includes' },
    meta: PAGE_META_SCHEMA,
  },
};
