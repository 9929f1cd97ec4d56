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

  // The region national-format phone numbers of its customers are read in (ISO 3166-1 alpha-2);
  // null: the DEFAULT_PHONE_REGION of the configuration, if any.
  @Column({ name: 'default_phone_region', type: 'text', nullable: true })
  defaultPhoneRegion: string | null;
}
