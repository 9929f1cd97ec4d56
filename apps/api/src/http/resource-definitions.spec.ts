import type { ListSpec } from '@app/common';
import { CUSTOMER } from '../contacts/customer.resource';
import { CONVERSATION, CUSTOMER_CONVERSATION } from '../conversations/conversation.resource';
import { CONVERSATION_LIST, CUSTOMER_CONVERSATION_VIEW } from '../conversations/conversation-list.definition';
import { CONVERSATION_MESSAGE_LIST, HISTORY_LIST, MESSAGE_LIST } from '../conversations/messages/message-list.definition';
import { CUSTOMER_MESSAGE, MESSAGE } from '../conversations/messages/message.resource';
import { TICKET_LIST, TICKET_MESSAGE_LIST } from '../tickets/ticket-list.definition';
import { TICKET, TICKET_MESSAGE } from '../tickets/ticket.resource';
import { CUSTOMER_LIST } from '../contacts/customer-list.definition';
import { ACTIVITY } from '../conversations/activities/activity.resource';
import { ACTIVITY_LIST } from '../conversations/activities/activity-list.definition';
import { ResourceDefinition } from './resource';

// Every `includes` a list definition lets through has a side-load in the resource it lists.
const LISTED: [string, ResourceDefinition<never, never>, ListSpec][] = [
  ['conversations', CONVERSATION, CONVERSATION_LIST],
  ['a token’s conversation', CUSTOMER_CONVERSATION, CUSTOMER_CONVERSATION_VIEW],
  ['customers', CUSTOMER, CUSTOMER_LIST],
  ['messages', MESSAGE, MESSAGE_LIST],
  ['a conversation’s messages', MESSAGE, CONVERSATION_MESSAGE_LIST],
  ['a widget’s history', CUSTOMER_MESSAGE, HISTORY_LIST],
  ['tickets', TICKET, TICKET_LIST],
  ['a ticket’s thread', TICKET_MESSAGE, TICKET_MESSAGE_LIST],
  ['a conversation’s activities', ACTIVITY, ACTIVITY_LIST],
];

describe('resource definitions', () => {
  it.each(LISTED)('%s side-load every type its list allows, and no other', (_, resource, list) => {
    expect(Object.keys(resource.sideloads?.refs ?? {}).sort()).toEqual([...list.includes].sort());
  });
});
