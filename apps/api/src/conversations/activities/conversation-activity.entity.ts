import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { ActivityType, ActivityValue } from './activity.types';

// One change of a conversation's workflow, written in the transaction of the change. Never
// updated or deleted.
@Entity({ name: 'conversation_activities' })
export class ConversationActivity {
  @PrimaryColumn({ name: 'tenant_id', type: 'bigint' })
  tenantId: number;

  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: number;

  @Column({ name: 'conversation_id', type: 'bigint' })
  conversationId: number;

  @Column({ type: 'text' })
  type: ActivityType;

  @Column({ name: 'from_value', type: 'jsonb', nullable: true })
  fromValue: ActivityValue;

  @Column({ name: 'to_value', type: 'jsonb', nullable: true })
  toValue: ActivityValue;

  @Column({ type: 'text', nullable: true })
  reason: string | null;

  @Column({ name: 'actor_type', type: 'text' })
  actorType: 'user' | 'contact' | 'system';

  @Column({ name: 'actor_id', type: 'bigint', nullable: true })
  actorId: number | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}
