import { TenantOwnedEntity } from '@app/common';
import { Column, Entity } from 'typeorm';

export type MessageDirection = 'inbound' | 'outbound';
export type MessageStatus = 'pending' | 'sent' | 'delivered' | 'read' | 'failed';
// HighLevel's TYPE_* names of the channels this service carries.
export type MessageType = 'TYPE_LIVE_CHAT' | 'TYPE_CUSTOM_PROVIDER_SMS';
export type MessageSource = 'api' | 'app';

// One message of a conversation, by exactly one author: an agent (userId) or the customer side
// (contactId).
@Entity({ name: 'conversation_messages' })
export class ConversationMessage extends TenantOwnedEntity {
  @Column({ name: 'conversation_id', type: 'bigint' })
  conversationId: number;

  @Column({ name: 'user_id', type: 'bigint', nullable: true })
  userId: number | null;

  @Column({ name: 'contact_id', type: 'bigint', nullable: true })
  contactId: number | null;

  @Column({ type: 'text', default: '' })
  message: string;

  // The client's own id for the message: a retry with it returns the message already stored.
  @Column({ name: 'client_message_id', type: 'text', nullable: true })
  clientMessageId: string | null;

  @Column({ name: 'file_ids', type: 'bigint', array: true, default: () => `'{}'` })
  fileIds: number[];

  // Inbound from the customer, outbound from an agent: generated from the author by the database.
  @Column({ type: 'text', insert: false, update: false })
  direction: MessageDirection;

  // Delivered when a customer's message arrives, sent when an agent's goes out.
  @Column({ type: 'text', default: 'delivered' })
  status: MessageStatus;

  @Column({ name: 'message_type', type: 'text', default: 'TYPE_LIVE_CHAT' })
  messageType: MessageType;

  // api: REST in either dialect; app: the live-chat widget, through Pusher's webhooks.
  @Column({ type: 'text', default: 'api' })
  source: MessageSource;

  // A private note: an agent's, shown to agents only, never on the customer's side.
  @Column({ name: 'private', type: 'boolean', default: false })
  isPrivate: boolean;

  // The agents a note mentions (none on a public message); conversation_mentions indexes them.
  @Column({ name: 'mention_ids', type: 'bigint', array: true, default: () => `'{}'` })
  mentionIds: number[];
}
