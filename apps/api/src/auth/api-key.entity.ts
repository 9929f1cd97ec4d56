import { TenantOwnedEntity } from '@app/common';
import { Column, Entity } from 'typeorm';

// Revoking a key soft-deletes it. Only the hash of its secret is kept.
@Entity({ name: 'api_keys' })
export class ApiKey extends TenantOwnedEntity {
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
