import type { PageMeta } from '@app/common';
import type { Conversation } from '../conversation.entity';
import { presentCustomerMessage } from '../../customer-view/customer-view.presenter';
import { ResourceDefinition } from '../../http/resource';
import { ownCustomerRefs } from '../../includes/own-customer';
import { ConversationMessage } from './conversation-message.entity';
import { MESSAGE_LIST } from './message-list.definition';
import { presentMessage } from './message.presenter';
import type { PostedMessage } from './messages.service';

export const MESSAGE: ResourceDefinition<ConversationMessage> = {
  name: 'conversationmessage',
  plural: 'conversationmessages',
  present: presentMessage,
  list: MESSAGE_LIST,
  sideloads: {
    audience: 'agent',
    refs: {
      contacts: (messages) => ({ ids: messages.map((m) => m.contactId) }),
      // The customers of those contacts.
      customers: async (messages, { related }) => ({
        ids: (await related<{ customerId: number }>('contacts', messages.map((m) => m.contactId))).map((contact) => contact.customerId),
      }),
      users: (messages) => ({ ids: messages.flatMap((m) => [m.userId, m.createdBy, m.updatedBy, m.deletedBy]) }),
      files: (messages) => ({ ids: messages.flatMap((m) => m.fileIds) }),
    },
  },
};

// A post answers 201, or 200 with the first message when its clientMessageId was posted already.
export const POSTED_MESSAGE: ResourceDefinition<PostedMessage> = {
  name: 'conversationmessage',
  present: ({ message }) => presentMessage(message),
  status: ({ created }) => (created ? undefined : 200),
};

// A widget's history: the page's conversation names the customer and the tenant.
export interface HistoryPage {
  conversation: Conversation;
  messages: ConversationMessage[];
  meta: PageMeta;
}

// The customer's view of a page of messages. Agents appear as the authors of the page's messages,
// never as who created or edited a row.
export const CUSTOMER_MESSAGE: ResourceDefinition<ConversationMessage, HistoryPage> = {
  name: 'conversationmessage',
  plural: 'conversationmessages',
  present: presentCustomerMessage,
  sideloads: {
    audience: 'customer',
    tenantOf: (_, page) => page.conversation.tenantId,
    refs: {
      ...ownCustomerRefs<ConversationMessage, HistoryPage>((_, page) => ({ contactId: page.conversation.contactId })),
      users: (messages) => ({ ids: messages.map((m) => m.userId) }),
      files: (messages) => ({ ids: messages.flatMap((m) => m.fileIds) }),
    },
  },
};
