import { TenantOwnedEntity } from '@app/common';
import { Column, Entity } from 'typeorm';

// A customer of the tenant: the person behind one or more contacts (email, phone, …).
@Entity({ name: 'customers' })
export class Customer extends TenantOwnedEntity {
  @Column({ name: 'first_name', type: 'text', default: '' })
  firstName: string;

  @Column({ name: 'last_name', type: 'text', default: '' })
  lastName: string;

  @Column({ type: 'text', nullable: true })
  email: string | null;

  @Column({ type: 'text', nullable: true })
  organization: string | null;

  @Column({ name: 'extra_data', type: 'text', nullable: true })
  extraData: string | null;

  @Column({ type: 'text', nullable: true })
  notes: string | null;

  @Column({ type: 'text', nullable: true })
  phone: string | null;

  @Column({ type: 'text', nullable: true })
  mobile: string | null;

  @Column({ type: 'text', nullable: true })
  address: string | null;

  @Column({ name: 'external_id', type: 'text', nullable: true })
  externalId: string | null;

  @Column({ name: 'job_title', type: 'text', nullable: true })
  jobTitle: string | null;
}
