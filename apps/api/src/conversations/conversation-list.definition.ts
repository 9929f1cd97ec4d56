import { ListSpec } from '@app/common';
import { CUSTOMER_CONVERSATION_FIELDS } from '../customer-view/customer-view.presenter';
import { CONVERSATION_PRIORITIES, CONVERSATION_STATUSES } from './conversation.entity';

// A priority's rank (none 1 … urgent 5), what the list orders priorities by; migration
// 1764940000000 indexes this very expression.
export const PRIORITY_RANK = `array_position(ARRAY['none', 'low', 'medium', 'high', 'urgent'], c.priority)`;

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
    // The queues (docs/api.md, "Queues, counts and bulk changes"): `"me"` is the caller, null nobody.
    assignee: { column: 'c.assignee_id', type: 'integer', nullable: true, symbols: ['me'] },
    team: { column: 'c.team_id', type: 'integer', nullable: true },
    status: { column: 'c.status', type: 'string', values: CONVERSATION_STATUSES },
    priority: { column: 'c.priority', type: 'string', values: CONVERSATION_PRIORITIES, order: { column: PRIORITY_RANK, type: 'integer' } },
    labels: { column: 'c.label_ids', type: 'integer', array: true },
    waitingSince: { column: 'c.waiting_since', type: 'date', nullable: true },
    firstReplyAt: { column: 'c.first_reply_at', type: 'date', nullable: true },
    resolvedAt: { column: 'c.resolved_at', type: 'date', nullable: true },
    snoozedUntil: { column: 'c.snoozed_until', type: 'date', nullable: true },
  },
  // Teamwork's order fields, lastMessageAt, and the workflow's times and priority (by rank); each
  // served by a (tenant_id, key, id) index, snoozedUntil by (tenant_id, status, key, id) for the
  // snoozed queue (migration 1765060000000).
  sortable: [
    'contactId',
    'createdAt',
    'deletedAt',
    'id',
    'lastMessageAt',
    'state',
    'ticket_id',
    'updatedAt',
    'waitingSince',
    'firstReplyAt',
    'resolvedAt',
    'priority',
    'snoozedUntil',
  ],
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
