import { ListSpec } from '@app/common';
import { CUSTOMER_CONVERSATION_FIELDS } from '../customer-view/customer-view.presenter';

// What GET /conversations.json lets a caller filter, order, pick and side-load.
export const CONVERSATION_LIST: ListSpec = {
  filterable: {
    contactId: { column: 'c.contact_id', type: 'integer' },
    createdAt: { column: 'c.created_at', type: 'date' },
    deletedAt: { column: 'c.deleted_at', type: 'date', nullable: true },
    id: { column: 'c.id', type: 'integer' },
    lastMessageAt: { column: 'c.last_message_at', type: 'date', nullable: true },
    state: { column: 'c.state', type: 'string', values: ['active', 'deleted'] },
    ticket_id: { column: 'c.ticket_id', type: 'integer', nullable: true },
    updatedAt: { column: 'c.updated_at', type: 'date' },
  },
  // Teamwork's order fields, and lastMessageAt; each served by a (tenant_id, key, id) index.
  sortable: ['contactId', 'createdAt', 'deletedAt', 'id', 'lastMessageAt', 'state', 'ticket_id', 'updatedAt'],
  defaultOrderBy: 'createdAt',
  defaultOrderMode: 'desc',
  includes: ['contacts', 'conversationmessages', 'customers', 'teams', 'users'],
  fields: [
    'contact',
    'contactId',
    'createdAt',
    'createdBy',
    'deletedAt',
    'deletedBy',
    'id',
    'lastMessageAt',
    'messages',
    'online',
    'socket_id',
    'state',
    'ticket_id',
    'token',
    'updatedAt',
    'updatedBy',
    'users',
    'status',
    'priority',
    'assignee',
    'team',
    'labels',
    'waitingSince',
    'firstReplyAt',
    'resolvedAt',
    'snoozedUntil',
  ],
  stateField: 'state',
  tieBreaker: 'c.id',
};

// What the holder of a conversation's token may pick and side-load: the customer's view only.
export const CUSTOMER_CONVERSATION_VIEW: ListSpec = {
  ...CONVERSATION_LIST,
  includes: ['contacts', 'conversationmessages', 'customers', 'users'],
  fields: [...CUSTOMER_CONVERSATION_FIELDS],
};
