import { Column, Entity, PrimaryColumn } from 'typeorm';

// An agent taking part in a conversation.
@Entity({ name: 'conversation_users' })
export class ConversationUser {
  @PrimaryColumn({ name: 'tenant_id', type: 'bigint' })
  tenantId: number;

  @PrimaryColumn({ name: 'conversation_id', type: 'bigint' })
  conversationId: number;

  @PrimaryColumn({ name: 'user_id', type: 'bigint' })
  userId: number;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'created_by', type: 'bigint', nullable: true })
  createdBy: number | null;
}
