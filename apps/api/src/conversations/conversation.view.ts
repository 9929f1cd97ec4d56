import type { CustomerContact } from '../contacts/customer-contact.entity';
import type { Conversation } from './conversation.entity';

// A conversation with what its wire form shows: its contact, its agents, its latest messages.
export interface ConversationView {
  conversation: Conversation;
  contact: CustomerContact;
  userIds: number[];
  messageIds: number[];
  // The customer's: the latest public messages (no private note), for the customer's view.
  customerMessageIds: number[];
  // Who is on the conversation's presence channel now: `user-{id}`, `contact-{id}`.
  onlineMembers: string[];
}
