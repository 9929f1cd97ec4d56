import { Column, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

export const ENTITY_STATES = ['active', 'deleted'] as const;
export type EntityState = (typeof ENTITY_STATES)[number];

// The audit columns of every entity: state, created/updated/deleted at and by. Deletes are soft.
export abstract class AuditedEntity {
  @Column({ type: 'text', default: 'active' })
  state: EntityState;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'created_by', type: 'bigint', nullable: true })
  createdBy: number | null;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;

  @Column({ name: 'updated_by', type: 'bigint', nullable: true })
  updatedBy: number | null;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;

  @Column({ name: 'deleted_by', type: 'bigint', nullable: true })
  deletedBy: number | null;
}

// A row owned by one tenant: the tenant leads the primary key, so keys and foreign keys never
// cross tenants and the table can be distributed by tenant_id.
export abstract class TenantOwnedEntity extends AuditedEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'bigint' })
  tenantId: number;

  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: number;
}
