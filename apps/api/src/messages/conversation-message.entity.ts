import { TenantOwnedEntity } from '@app/common';
import { Column, Entity } from 'typeorm';

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
}
