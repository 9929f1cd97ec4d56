import { AuditedEntity } from '@app/common';
import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

// Revoking a key soft-deletes it. Only the hash of its secret is kept.
@Entity({ name: 'api_keys' })
export class ApiKey extends AuditedEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'bigint' })
  tenantId: number;

  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: number;

  @Column({ name: 'user_id', type: 'bigint' })
  userId: number;

  @Column({ type: 'text', default: '' })
  name: string;

  @Column({ type: 'text' })
  lookup: string;

  @Column({ name: 'secret_hash', type: 'bytea', select: false })
  secretHash: Buffer;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;
}
