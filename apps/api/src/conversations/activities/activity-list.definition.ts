import { ListSpec } from '@app/common';
import { ACTIVITY_TYPES } from './activity.types';

// What GET /conversations/{id}/activities.json lets a caller filter, order and pick: a
// conversation's history, oldest first. Activities are never deleted, so no state.
export const ACTIVITY_LIST: ListSpec = {
  filterable: {
    id: { column: 'a.id', type: 'integer' },
    type: { column: 'a.type', type: 'string', values: ACTIVITY_TYPES },
    createdAt: { column: 'a.created_at', type: 'date' },
  },
  // Served by ix_conversation_activities_conversation (tenant_id, conversation_id, created_at, id).
  sortable: ['createdAt', 'id'],
  defaultOrderBy: 'createdAt',
  defaultOrderMode: 'asc',
  includes: [],
  fields: ['id', 'conversationId', 'type', 'from', 'to', 'reason', 'actor', 'createdAt'],
  stateField: null,
  tieBreaker: 'a.id',
};
