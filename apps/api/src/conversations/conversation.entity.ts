import { TenantOwnedEntity } from '@app/common';
import { Column, Entity } from 'typeorm';

export const CONVERSATION_STATUSES = ['open', 'pending', 'snoozed', 'resolved'] as const;
export type ConversationStatus = (typeof CONVERSATION_STATUSES)[number];
export const CONVERSATION_PRIORITIES = ['none', 'low', 'medium', 'high', 'urgent'] as const;
export type ConversationPriority = (typeof CONVERSATION_PRIORITIES)[number];

@Entity({ name: 'conversations' })
export class Conversation extends TenantOwnedEntity {
  @Column({ name: 'contact_id', type: 'bigint' })
  contactId: number;

  // The widget's Pusher connection id.
  @Column({ name: 'socket_id', type: 'text', nullable: true })
  socketId: string | null;

  // Set once the conversation has been converted to a ticket.
  @Column({ name: 'ticket_id', type: 'bigint', nullable: true })
  ticketId: number | null;

  // When the latest message was posted; null until the first.
  @Column({ name: 'last_message_at', type: 'timestamptz', nullable: true })
  lastMessageAt: Date | null;

  // The widget's token: its lookup part and the hash of the whole. The plaintext is shown once.
  @Column({ name: 'token_lookup', type: 'text', nullable: true, select: false })
  tokenLookup: string | null;

  @Column({ name: 'token_hash', type: 'bytea', nullable: true, select: false })
  tokenHash: Buffer | null;

  @Column({ name: 'token_issued_at', type: 'timestamptz', nullable: true })
  tokenIssuedAt: Date | null;

  // Whether the widget is on its channel (Pusher's channel_occupied / channel_vacated), and since when.
  @Column({ name: 'widget_online', type: 'boolean', default: false })
  widgetOnline: boolean;

  @Column({ name: 'widget_online_at', type: 'timestamptz', nullable: true })
  widgetOnlineAt: Date | null;

  // HighLevel's fields (migrations/1764300000000-highlevel.ts): the customer's messages since an
  // agent last read or replied; starred and feedback as a client set them; in the inbox unless
  // deleted; HighLevel's channel number (1, Phone, carries live chat).
  @Column({ name: 'unread_count', type: 'integer', default: 0 })
  unreadCount: number;

  @Column({ type: 'boolean', default: false })
  starred: boolean;

  @Column({ type: 'boolean', default: true })
  inbox: boolean;

  @Column({ type: 'smallint', default: 1 })
  type: number;

  @Column({ type: 'jsonb', nullable: true })
  feedback: object | null;

  // The workflow (migrations/1764900000000-workflow.ts; docs/architecture.md, "The conversation
  // workflow"): only the conversation core writes these, through its rules.
  @Column({ type: 'text', default: 'open' })
  status: ConversationStatus;

  @Column({ type: 'text', default: 'none' })
  priority: ConversationPriority;

  @Column({ name: 'assignee_id', type: 'bigint', nullable: true })
  assigneeId: number | null;

  @Column({ name: 'team_id', type: 'bigint', nullable: true })
  teamId: number | null;

  // The tenant's tags (shared with tickets), in the order given.
  @Column({ name: 'label_ids', type: 'bigint', array: true, default: () => `'{}'` })
  labelIds: number[];

  // Set exactly while snoozed: when it wakes up.
  @Column({ name: 'snoozed_until', type: 'timestamptz', nullable: true })
  snoozedUntil: Date | null;

  // The oldest customer message no agent has answered yet; null when none waits.
  @Column({ name: 'waiting_since', type: 'timestamptz', nullable: true })
  waitingSince: Date | null;

  @Column({ name: 'first_reply_at', type: 'timestamptz', nullable: true })
  firstReplyAt: Date | null;

  // Set exactly while resolved.
  @Column({ name: 'resolved_at', type: 'timestamptz', nullable: true })
  resolvedAt: Date | null;
}
