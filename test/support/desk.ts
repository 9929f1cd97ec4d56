// What the Desk specs assert against, written from Teamwork Desk API v2's documentation rather
// than taken from the code.
export const BASE = '/desk/api/v2';
export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

// Every field of Teamwork Desk API v2's Conversation a response shows (deletedAt/deletedBy only
// when deleted), and lastMessageAt and online (who is on its Pusher channels), which this
// service adds.
export const DOCUMENTED_CONVERSATION_FIELDS = [
  'lastMessageAt',
  'contact',
  'contactId',
  'createdAt',
  'createdBy',
  'id',
  'messages',
  'online',
  'socket_id',
  'state',
  'ticket_id',
  'token',
  'updatedAt',
  'updatedBy',
  'users',
  // The workflow's (docs/architecture.md, "The conversation workflow").
  'status',
  'priority',
  'assignee',
  'team',
  'labels',
  'waitingSince',
  'firstReplyAt',
  'resolvedAt',
  'snoozedUntil',
].sort();
