import { TenantOwnedEntity } from '@app/common';
import { Column, Entity } from 'typeorm';
import type { EditMethod } from './ticket.entity';

export const THREAD_TYPES = ['message', 'note'] as const;
export type ThreadType = (typeof THREAD_TYPES)[number];
export type EmailStatus = 'queued' | 'sent' | 'failed';

// One entry of a ticket's thread: a reply (`message`) or an internal note, by exactly one author,
// an agent (userId) or the customer's side (contactId).
@Entity({ name: 'ticket_messages' })
export class TicketMessage extends TenantOwnedEntity {
  @Column({ name: 'ticket_id', type: 'bigint' })
  ticketId: number;

  @Column({ name: 'thread_type', type: 'text', default: 'message' })
  threadType: ThreadType;

  @Column({ type: 'text' })
  message: string;

  @Column({ name: 'edit_method', type: 'text', default: 'html' })
  editMethod: EditMethod;

  @Column({ name: 'user_id', type: 'bigint', nullable: true })
  userId: number | null;

  @Column({ name: 'contact_id', type: 'bigint', nullable: true })
  contactId: number | null;

  @Column({ type: 'text', array: true, default: () => `'{}'` })
  cc: string[];

  @Column({ type: 'text', array: true, default: () => `'{}'` })
  bcc: string[];

  @Column({ name: 'file_ids', type: 'bigint', array: true, default: () => `'{}'` })
  fileIds: number[];

  // The chat message this entry was converted from.
  @Column({ name: 'conversation_message_id', type: 'bigint', nullable: true })
  conversationMessageId: number | null;

  // Email: the Message-ID it went out (or came in) with, and whether it went out (queued, sent,
  // failed with the server's refusal).
  @Column({ name: 'email_message_id', type: 'text', nullable: true })
  emailMessageId: string | null;

  @Column({ name: 'email_status', type: 'text', nullable: true })
  emailStatus: EmailStatus | null;

  @Column({ name: 'email_error', type: 'text', nullable: true })
  emailError: string | null;

  @Column({ name: 'email_sent_at', type: 'timestamptz', nullable: true })
  emailSentAt: Date | null;
}
