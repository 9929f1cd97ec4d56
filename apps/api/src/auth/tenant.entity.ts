import { AuditedEntity } from '@app/common';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'tenants' })
export class Tenant extends AuditedEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: number;

  @Column({ type: 'text' })
  name: string;

  // The tenant's public id in the HighLevel dialect (20 letters and digits), set by the database.
  @Column({ name: 'location_id', type: 'text', insert: false, update: false })
  locationId: string;
}
