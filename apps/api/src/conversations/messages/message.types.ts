import type { MessageSource, MessageType } from './conversation-message.entity';

// What the conversation core's append and locks take and answer, for the doors that call them.

// A message to append: by an agent (userId) or the customer side (contactId).
export interface NewMessage {
  tenantId: number;
  conversationId: number;
  userId: number | null;
  contactId: number | null;
  message: string;
  fileIds: number[];
  clientMessageId: string | null;
  // HighLevel's channel name; live chat unless said otherwise.
  messageType?: MessageType;
  // A private note (an agent's only), and the agents it mentions (deduplicated, active).
  isPrivate?: boolean;
  mentionIds?: number[];
}

// Where a batch of messages comes from, and when: `at` is the batch's time (Pusher's), null the
// transaction's.
export interface AppendSource {
  at: Date | null;
  actorId: number | null;
  source: MessageSource;
}

// The conversation a message goes to, read under its lock.
export interface LockedConversation {
  tenantId: number;
  id: number;
  state: string;
  contactId: number;
  customerId: number;
  // The ticket the conversation became, if any.
  ticketId: number | null;
}

// What new messages change of one conversation: the customer's messages that count as unread,
// whether an agent's message came first (which reads the conversation), and the latest text; and
// for the workflow, from messages that are not private notes: whether an agent replied, whether a
// customer's message waits after the last reply, and the contact whose message reopens it.
export interface TouchedConversation {
  tenantId: number;
  conversationId: number;
  inbound: number;
  reset: boolean;
  lastText: string;
  replied: boolean;
  // An agent's message came after a customer's among these (a reply to it, for firstReplyAt).
  answers: boolean;
  waits: boolean;
  reopenBy: number | null;
}
