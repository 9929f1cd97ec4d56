import { ListSpec } from '@app/common';
import { CUSTOMER_MESSAGE_FIELDS } from '../../customer-view/customer-view.presenter';

const FIELDS = [
  'clientMessageId',
  'contactId',
  'conversationId',
  'createdAt',
  'createdBy',
  'deletedAt',
  'deletedBy',
  'files',
  'id',
  'mentions',
  'message',
  'private',
  'state',
  'updatedAt',
  'updatedBy',
  'userId',
];

// What GET /conversationmessages.json lets a caller filter, order, pick and side-load.
export const MESSAGE_LIST: ListSpec = {
  filterable: {
    contactId: { column: 'm.contact_id', type: 'integer', nullable: true },
    conversationId: { column: 'm.conversation_id', type: 'integer' },
    createdAt: { column: 'm.created_at', type: 'date' },
    createdBy: { column: 'm.created_by', type: 'integer', nullable: true },
    deletedAt: { column: 'm.deleted_at', type: 'date', nullable: true },
    deletedBy: { column: 'm.deleted_by', type: 'integer', nullable: true },
    id: { column: 'm.id', type: 'integer' },
    message: { column: 'm.message', type: 'string' },
    // Notes only, or public messages only.
    private: { column: 'm.private', type: 'boolean' },
    state: { column: 'm.state', type: 'string', values: ['active', 'deleted'] },
    updatedAt: { column: 'm.updated_at', type: 'date' },
    updatedBy: { column: 'm.updated_by', type: 'integer', nullable: true },
    userId: { column: 'm.user_id', type: 'integer', nullable: true },
  },
  // Each served by a (tenant_id, …, key, id) index; within one conversation by
  // (tenant_id, conversation_id, created_at, id).
  sortable: ['createdAt', 'id', 'updatedAt'],
  defaultOrderBy: 'createdAt',
  defaultOrderMode: 'desc',
  includes: ['contacts', 'customers', 'files', 'users'],
  fields: FIELDS,
  stateField: 'state',
  tieBreaker: 'm.id',
};

// The messages of one conversation read as a transcript: oldest first.
export const CONVERSATION_MESSAGE_LIST: ListSpec = { ...MESSAGE_LIST, defaultOrderMode: 'asc' };

// A widget's history by token: active messages only, paged, oldest first, in the customer's view.
export const HISTORY_LIST: ListSpec = {
  ...CONVERSATION_MESSAGE_LIST,
  filterable: { createdAt: MESSAGE_LIST.filterable.createdAt, id: MESSAGE_LIST.filterable.id, state: MESSAGE_LIST.filterable.state },
  sortable: ['createdAt', 'id'],
  includes: ['contacts', 'customers', 'files', 'users'],
  fields: [...CUSTOMER_MESSAGE_FIELDS],
};
