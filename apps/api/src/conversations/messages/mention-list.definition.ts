import { ListSpec, propertiesOf } from '@app/common';
import { MENTION_SCHEMA } from './mention.openapi';

// What GET me/mentions.json lets a caller filter, order and side-load: served by
// ix_conversation_mentions_user (tenant_id, user_id, created_at, message_id). `state` is the note's:
// a deleted note's mentions are hidden unless a filter names it.
export const MENTION_LIST: ListSpec = {
  filterable: {
    conversationId: { column: 'mn.conversation_id', type: 'integer' },
    createdAt: { column: 'mn.created_at', type: 'date' },
    id: { column: 'mn.message_id', type: 'integer' },
    state: { column: 'm.state', type: 'string', values: ['active', 'deleted'] },
  },
  sortable: ['createdAt'],
  defaultOrderBy: 'createdAt',
  defaultOrderMode: 'desc',
  includes: ['conversationmessages', 'users'],
  fields: propertiesOf(MENTION_SCHEMA),
  stateField: 'state',
  tieBreaker: 'mn.message_id',
};
