import { TenantOwnedEntity } from '@app/common';
import { Column, Entity } from 'typeorm';

export const EDIT_METHODS = ['html', 'markdown'] as const;
export type EditMethod = (typeof EDIT_METHODS)[number];

// Teamwork's Ticket: a customer's request worked by agents, with its thread in ticket_messages.
@Entity({ name: 'tickets' })
export class Ticket extends TenantOwnedEntity {
  @Column({ type: 'text' })
  subject: string;

  // The start of the opening message, as plain text.
  @Column({ name: 'preview_text', type: 'text', default: '' })
  previewText: string;

  @Column({ name: 'customer_id', type: 'bigint' })
  customerId: number;

  // The customer's contact the ticket is with (the chat's contact, when converted).
  @Column({ name: 'contact_id', type: 'bigint', nullable: true })
  contactId: number | null;

  @Column({ name: 'agent_id', type: 'bigint', nullable: true })
  agentId: number | null;

  @Column({ name: 'inbox_id', type: 'bigint' })
  inboxId: number;

  @Column({ name: 'status_id', type: 'bigint' })
  statusId: number;

  @Column({ name: 'priority_id', type: 'bigint', nullable: true })
  priorityId: number | null;

  @Column({ name: 'type_id', type: 'bigint', nullable: true })
  typeId: number | null;

  @Column({ name: 'source_id', type: 'bigint', nullable: true })
  sourceId: number | null;

  @Column({ name: 'parent_id', type: 'bigint', nullable: true })
  parentId: number | null;

  // The conversation this ticket was converted from.
  @Column({ name: 'conversation_id', type: 'bigint', nullable: true })
  conversationId: number | null;

  @Column({ type: 'text', array: true, default: () => `'{}'` })
  cc: string[];

  @Column({ type: 'text', array: true, default: () => `'{}'` })
  bcc: string[];

  @Column({ name: 'file_ids', type: 'bigint', array: true, default: () => `'{}'` })
  fileIds: number[];

  @Column({ name: 'edit_method', type: 'text', default: 'html' })
  editMethod: EditMethod;

  @Column({ name: 'send_from', type: 'text', nullable: true })
  sendFrom: string | null;

  @Column({ name: 'is_read', type: 'boolean', default: false })
  isRead: boolean;

  // Active thread messages, kept in step by every write to the thread.
  @Column({ name: 'message_count', type: 'integer', default: 0 })
  messageCount: number;
}
