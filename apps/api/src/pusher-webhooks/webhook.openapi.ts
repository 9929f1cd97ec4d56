import { wire } from '@app/common';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { MESSAGE_SCHEMA } from '../conversations/messages/message.openapi';

const PUSHER_EVENT_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['name'],
  properties: {
    name: {
      type: 'string',
      description: 'client_event, member_added, member_removed, channel_occupied, channel_vacated; others are stored as ignored',
    },
    channel: { type: 'string', example: 'private-conversation-42' },
    event: { type: 'string', example: 'client-message' },
    data: { type: 'string', example: '{"message":"Hello","clientMessageId":"c-1","files":[]}' },
    socket_id: { type: 'string', example: '1234.5678' },
    user_id: { type: 'string', example: 'contact-3' },
  },
};

export const WEBHOOK_BODY_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['time_ms', 'events'],
  properties: {
    time_ms: { type: 'integer', description: 'When Pusher built the batch; outside the retry window it is refused' },
    events: { type: 'array', items: PUSHER_EVENT_SCHEMA },
  },
};

export const WEBHOOK_RESULT_SCHEMA = wire.object(
  {
    conversationmessages: wire.array(MESSAGE_SCHEMA, { description: "The batch's messages, new or stored before" }),
    conversationmessage: wire.with(MESSAGE_SCHEMA, { description: 'Present when the batch holds exactly one message' }),
    meta: wire.object({
      received: wire.integer(),
      created: wire.integer({ description: 'Messages created' }),
      applied: wire.integer({ description: 'Other events that took effect: presence, the widget online, typing' }),
      duplicates: wire.integer({ description: 'Events stored before, and messages posted before' }),
      ignored: wire.integer({ description: 'Events stored as ignored' }),
      conflicts: wire.integer({
        description: 'Messages whose clientMessageId names another message on their side of the conversation: recorded, not stored',
      }),
    }),
  },
  { optional: ['conversationmessage'] },
);
