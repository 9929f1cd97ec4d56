import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { ConversationMessage } from './conversation-message.entity';

// An agent mentioned in a note, written with the note (the append) and never changed: what
// GET me/mentions.json lists. The note's own row holds the same ids (`mentionIds`) for its wire form.
@Entity({ name: 'conversation_mentions' })
export class ConversationMention {
  @PrimaryColumn({ name: 'tenant_id', type: 'bigint' })
  tenantId: number;

  // The note's id.
  @PrimaryColumn({ name: 'message_id', type: 'bigint' })
  id: number;

  @PrimaryColumn({ name: 'user_id', type: 'bigint' })
  userId: number;

  @Column({ name: 'conversation_id', type: 'bigint' })
  conversationId: number;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'created_by', type: 'bigint', nullable: true })
  createdBy: number | null;

  // The note: its author is who mentioned, its state hides the mentions of a deleted one.
  @ManyToOne(() => ConversationMessage, { createForeignKeyConstraints: false })
  @JoinColumn([
    { name: 'tenant_id', referencedColumnName: 'tenantId' },
    { name: 'message_id', referencedColumnName: 'id' },
  ])
  message: ConversationMessage;
}
