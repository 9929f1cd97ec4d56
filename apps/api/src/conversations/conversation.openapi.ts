import { AUDIT_OPTIONAL, AUDIT_SCHEMA_PROPERTIES, ENTITY_REF_SCHEMA, includedSchema, PAGE_META_SCHEMA, wire, type Wire } from '@app/common';
import { USER_SCHEMA } from '../auth/user.openapi';
import { CONTACT_SCHEMA, CUSTOMER_SCHEMA } from '../contacts/customer.openapi';
import { MESSAGE_SCHEMA } from './messages/message.openapi';
import { TEAM_SCHEMA } from './routing/team.openapi';
import { CONVERSATION_PRIORITIES, CONVERSATION_STATUSES } from './conversation.entity';

// Teamwork Desk API v2's Conversation, as presentConversation() writes it.
export const CONVERSATION_SCHEMA = wire.object(
  {
    id: wire.integer(),
    contact: CONTACT_SCHEMA,
    lastMessageAt: wire.nullable(wire.dateTime(), { description: 'When the latest message was posted' }),
    contactId: wire.integer(),
    messages: wire.array(ENTITY_REF_SCHEMA, { description: 'The latest 100 active messages, oldest first' }),
    online: wire.object(
      {
        widget: wire.boolean({ description: 'The widget is subscribed to private-conversation-{id}' }),
        widgetChangedAt: wire.nullable(wire.dateTime()),
        members: wire.array(wire.string({ example: 'user-7' }), { description: 'Members on presence-conversation-{id}' }),
      },
      { description: "Who is on the conversation's Pusher channels, as Pusher's webhooks last said" },
    ),
    socket_id: wire.nullable(wire.string()),
    ticket_id: wire.nullable(wire.integer(), { description: 'Set once converted to a ticket' }),
    token: wire.nullable(wire.string(), { description: 'Only on the response that issues it' }),
    users: wire.array(ENTITY_REF_SCHEMA),
    status: wire.enum(CONVERSATION_STATUSES, { description: 'open, pending (waiting on the customer), snoozed (until snoozedUntil), resolved' }),
    priority: wire.enum(CONVERSATION_PRIORITIES),
    assignee: wire.nullable(ENTITY_REF_SCHEMA, { description: 'The agent it is assigned to: {"id": N, "type": "users"}' }),
    team: wire.nullable(ENTITY_REF_SCHEMA, { description: 'The team whose queue it is in: {"id": N, "type": "teams"}' }),
    labels: wire.array(ENTITY_REF_SCHEMA, { description: 'The tenant\'s tags (shared with tickets): {"id": N, "type": "tags"}' }),
    waitingSince: wire.nullable(wire.dateTime(), { description: 'Read-only: the oldest customer message no agent has answered yet' }),
    firstReplyAt: wire.nullable(wire.dateTime(), { description: "Read-only: the first agent's reply to a customer (an agent's message while a customer's waits; notes and an agent's opening messages do not count)" }),
    resolvedAt: wire.nullable(wire.dateTime(), { description: 'Read-only: set while resolved' }),
    snoozedUntil: wire.nullable(wire.dateTime(), { description: 'Set while snoozed: when it becomes open again' }),
    ...AUDIT_SCHEMA_PROPERTIES,
  },
  { optional: AUDIT_OPTIONAL },
);
export type ConversationWire = Wire<typeof CONVERSATION_SCHEMA>;

const INCLUDED = includedSchema({ contacts: CONTACT_SCHEMA, conversationmessages: MESSAGE_SCHEMA, customers: CUSTOMER_SCHEMA, teams: TEAM_SCHEMA, users: USER_SCHEMA });

export const CONVERSATION_ENVELOPE_SCHEMA = wire.object({ conversation: CONVERSATION_SCHEMA, included: INCLUDED }, { optional: ['included'] });

export const CONVERSATIONS_LIST_SCHEMA = wire.object({ conversations: wire.array(CONVERSATION_SCHEMA), included: INCLUDED, meta: PAGE_META_SCHEMA });
