import { presentCustomerConversation } from '../customer-view/customer-view.presenter';
import { ResourceDefinition } from '../http/resource';
import { ownCustomerRefs } from '../includes/own-customer';
import { byId, SideloadSpec } from '../includes/sideloads';
import { CONVERSATION_LIST, CUSTOMER_CONVERSATION_VIEW } from './conversation-list.definition';
import { conversationVersion, presentConversation } from './conversation.presenter';
import type { ConversationView } from './conversation.view';
import type { IssuedConversationToken } from './conversations.service';

// An agent's side-loads: the contacts the views hold (not read again) and their customers, the
// participants and whoever created, changed or deleted the conversations, the latest messages,
// the teams.
const AGENT_SIDELOADS: SideloadSpec<ConversationView> = {
  audience: 'agent',
  refs: {
    contacts: (views) => ({ rows: byId(views.map((view) => view.contact)) }),
    customers: (views) => ({ ids: byId(views.map((view) => view.contact)).map((contact) => contact.customerId) }),
    users: (views) => ({ ids: views.flatMap(({ conversation: c, userIds }) => [...userIds, c.createdBy, c.updatedBy, c.deletedBy]) }),
    conversationmessages: (views) => ({ ids: views.flatMap((view) => view.messageIds) }),
    teams: (views) => ({ ids: views.map((view) => view.conversation.teamId) }),
  },
};

export const CONVERSATION: ResourceDefinition<ConversationView> = {
  name: 'conversation',
  plural: 'conversations',
  present: (view, fields) => presentConversation(view, { fields: fields as string[] | null }),
  version: 'wire',
  list: CONVERSATION_LIST,
  sideloads: AGENT_SIDELOADS,
};

// The one response that shows a token: the conversation's version is still the one without it.
export const ISSUED_CONVERSATION: ResourceDefinition<IssuedConversationToken> = {
  name: 'conversation',
  present: ({ view, token }) => presentConversation(view, { token }),
  version: ({ view }) => conversationVersion(view),
};

// What the holder of the conversation's token sees, and may side-load through the customer's
// presenters: their own customer and contacts, the conversation's agents by name, its latest
// messages. Its ETag is the tag of what the customer sees: it moves with nothing an agent alone sees.
export const CUSTOMER_CONVERSATION: ResourceDefinition<ConversationView> = {
  name: 'conversation',
  present: (view, fields) => presentCustomerConversation(view, fields),
  version: 'wire',
  list: CUSTOMER_CONVERSATION_VIEW,
  sideloads: {
    audience: 'customer',
    tenantOf: ([view]) => view.conversation.tenantId,
    refs: {
      ...ownCustomerRefs<ConversationView, unknown>(([view]) => ({ contactId: view.conversation.contactId, customerId: view.contact.customerId })),
      users: ([view]) => ({ ids: view.userIds }),
      // Never the agents' list: it holds their notes.
      conversationmessages: ([view]) => ({ ids: view.customerMessageIds }),
    },
  },
};
